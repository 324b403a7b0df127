"""Name knowledge the comparators lack: common English diminutives and titles."""

from __future__ import annotations

# formal name -> diminutives (lower case). A record's first name is compared both as written
# and as its formal form, so "Bob" meets "Robert" and "Liz" meets "Elizabeth".
_DIMINUTIVES: dict[str, tuple[str, ...]] = {
    "alexander": ("alex", "al", "sandy", "xander"), "alexandra": ("alex", "sandy", "lexi"),
    "andrew": ("andy", "drew"), "anthony": ("tony", "ant"), "barbara": ("barb", "babs"),
    "benjamin": ("ben", "benny"), "catherine": ("cathy", "kate", "katie", "cat"),
    "charles": ("charlie", "chas", "chuck"), "christopher": ("chris", "kit"),
    "christine": ("chris", "chrissie"), "daniel": ("dan", "danny"), "david": ("dave", "davy"),
    "deborah": ("debbie", "deb"), "donald": ("don", "donny"), "edward": ("ed", "eddie", "ted"),
    "elizabeth": ("liz", "lizzie", "beth", "betty", "eliza"), "frances": ("fran", "frankie"),
    "francis": ("frank", "fran"), "gregory": ("greg",), "henry": ("harry", "hal"),
    "jacob": ("jake",), "james": ("jim", "jimmy", "jamie"), "jennifer": ("jen", "jenny"),
    "john": ("jack", "johnny"), "jonathan": ("jon", "jonny"), "joseph": ("joe", "joey"),
    "joshua": ("josh",), "katherine": ("kate", "katie", "kathy", "kat"),
    "kenneth": ("ken", "kenny"), "lawrence": ("larry", "laurie"), "margaret": (
        "maggie", "meg", "peggy", "marge"), "matthew": ("matt",), "michael": ("mike", "mick",
    "mikey"), "nicholas": ("nick", "nicky"), "patricia": ("pat", "patty", "trish"),
    "patrick": ("pat", "paddy"), "peter": ("pete",), "philip": ("phil",), "rebecca": (
        "becky", "becca"), "richard": ("rich", "rick", "dick"), "robert": ("rob", "bob",
    "bobby", "robbie"), "ronald": ("ron", "ronnie"), "samuel": ("sam", "sammy"),
    "samantha": ("sam", "sammy"), "stephen": ("steve",), "steven": ("steve",),
    "susan": ("sue", "susie"), "thomas": ("tom", "tommy"), "timothy": ("tim", "timmy"),
    "victoria": ("vicky", "tori"), "william": ("will", "bill", "billy", "liam"),
    "zachary": ("zach",), "jessica": ("jess",), "abigail": ("abby",), "nathan": ("nate",),
}  # fmt: skip

FORMAL: dict[str, str] = {}
for formal, short in _DIMINUTIVES.items():
    for s in short:
        FORMAL.setdefault(s, formal)  # an ambiguous diminutive keeps its first formal name

TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "rev"})
