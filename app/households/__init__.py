"""Households: profiles grouped by shared address, accounts and devices, with roles
(decision-maker, member) and Group DNA."""
