"""Privacy: consent as data, erasure with a suppression list, data playback (subject access),
and how long quarantine files keep raw values."""
