"""The forms of a word that mean the same to triage: how pupils shorten, misspell and
inflect words. Applied alike to the pupil's words and to the rules' phrases, so a rule
written once ("blackmail", "hurt myself") matches "blackmailing", "blackmale",
"hurt my self" and "im gonna hurt myslef" without listing each.

Only English word endings are reduced: the other shipped languages change words in ways
a few suffixes cannot undo safely (Welsh mutations, Polish cases), so their translations
list the forms pupils write. Every change here is made on both sides, so a phrase always
matches itself; the tests check ordinary sentences stay ordinary.
"""
import re

# Short forms pupils type, written out (after apostrophes are dropped: "i'm" is "im").
EXPANSIONS = {
    "im": "i am", "ima": "i am going to", "iam": "i am", "ive": "i have",
    "wana": "want to", "wanna": "want to", "wantto": "want to",
    "gona": "going to", "gonna": "going to", "gota": "got to", "gotta": "got to",
    "dont": "do not", "didnt": "did not", "doesnt": "does not", "cant": "can not",
    "cannot": "can not", "wont": "will not", "isnt": "is not", "wasnt": "was not",
    "hes": "he is", "shes": "she is", "theyre": "they are", "youre": "you are",
    "u": "you", "kms": "kill myself", "selfharm": "self harm", "selfharming": "self harm",
}

# Two words a pupil may write as one, or one as two: the joined form is kept.
JOINS = {
    ("my", "self"): "myself", ("my", "slef"): "myself", ("him", "self"): "himself",
    ("her", "self"): "herself", ("black", "mail"): "blackmail",
    ("black", "male"): "blackmail", ("some", "one"): "someone", ("some", "body"): "someone",
    ("some", "thing"): "something", ("grown", "up"): "grownup",
    # A video game is not a video of something that happened.
    ("video", "game"): "videogame", ("vid", "game"): "videogame",
}

# Misspellings and irregular forms, as they are after doubled letters are made single
# ("blackmaill" is "blackmail", "killl" and "kill" are "kil").
CANONICAL = {
    "blackmale": "blackmail", "blakmail": "blackmail", "blakmale": "blackmail",
    "blackmial": "blackmail", "blackmeil": "blackmail", "blackmal": "blackmail",
    "blakmal": "blackmail", "blakmial": "blackmail",
    "thret": "threat", "thretn": "threaten", "threten": "threaten", "thretten": "threaten",
    "threatend": "threaten", "thretend": "threaten", "threatn": "threaten",
    "nudez": "nude", "nudz": "nude", "nud": "nude", "nodz": "nude",
    "nudie": "nude", "nudy": "nude",
    "nakid": "naked", "nakd": "naked", "nekid": "naked", "naykid": "naked", "naked": "naked",
    "pix": "pic", "pik": "pic", "picz": "pic", "picie": "pic", "picture": "pic",
    "pictur": "pic", "pitcure": "pic", "picher": "pic", "image": "pic",
    "photo": "pic", "foto": "pic", "phot": "pic", "selfie": "pic",
    "vid": "video", "vidz": "video", "vidio": "video", "vidoe": "video", "vidoes": "video",
    "sucide": "suicide", "suiside": "suicide", "suicde": "suicide", "suacide": "suicide",
    "sueside": "suicide", "suiscide": "suicide", "sucidal": "suicide", "suicidal": "suicide",
    "suisidal": "suicide",
    "myslef": "myself", "mysef": "myself", "meself": "myself", "mself": "myself",
    "myselff": "myself", "myslf": "myself",
    "dying": "die", "died": "die", "ded": "dead",
    "sent": "send", "shown": "show", "beaten": "beat", "bet": "beat", "fought": "fight",
    "stab": "stab", "stabed": "stab", "horible": "horrible", "horibl": "horrible",
    "horid": "horrible", "somone": "someone", "sombody": "someone", "somebody": "someone",
    "sumone": "someone", "sumthing": "something", "somthing": "something",
    "sexual": "sex", "sexualy": "sex", "sexy": "sex", "seks": "sex", "porno": "porn",
    "pron": "porn",
}

DOUBLED = re.compile(r"(\w)\1+")
# Endings dropped from an English word, longest first, when enough word is left.
SUFFIXES = ("ing", "ed", "s")
MIN_STEM = 3


def _ending_dropped(word):
    """The word without its English ending, or as it is when too little would be left."""
    for suffix in SUFFIXES:
        stem = word[:-len(suffix)]
        if word.endswith(suffix) and len(stem) >= MIN_STEM and stem.isascii():
            return stem
    return word


def canonical(word):
    """One word's canonical form: doubled letters single, misspellings corrected,
    English endings dropped ("blackmailing" and "blackmaled" are "blackmail")."""
    word = DOUBLED.sub(r"\1", word)
    if word in CANONICAL:
        return CANONICAL[word]
    stem = _ending_dropped(word)
    return CANONICAL.get(stem, stem)


def forms(words):
    """The canonical words of a list of words, with short forms written out and split
    words joined."""
    expanded = []
    for word in words:
        expanded.extend(EXPANSIONS.get(DOUBLED.sub(r"\1", word), word).split())
    joined = []
    for word in expanded:
        if joined and (joined[-1], word) in JOINS:
            joined[-1] = JOINS[joined[-1], word]
            continue
        joined.append(word)
    return [canonical(word) for word in joined]
