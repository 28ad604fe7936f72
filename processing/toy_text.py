# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The toy model's world: English sentences of a small closed world, read aloud into the toy corpus
(:mod:`processing.toy_corpus`) that the trained toy Spirit LM (``recipes/toy_model``) learns. One of three sentence
generators, each for its own model: this one (trained toy), :func:`recipes.tiny.models.tiny_corpus` (the tokenizer
corpus of the tiny RANDOM test models) and the fixed sentences of :mod:`recipes.eval.tiny_data` (tone-burst evaluation
sets that test the evaluation machinery).

``toy_sentences(n, seed)`` returns ``n`` distinct sentences drawn from templates with a seeded ``random.Random``:
descriptions of a small world (things, colours, places, rooms), commands to a home assistant, counting and small
sums, questions, times of day and short stories (the subjects, verbs, objects and places of
:func:`recipes.tiny.models.tiny_corpus`, extended). The list is **prefix-stable**: the first ``k`` sentences of
``toy_sentences(n, seed)`` are ``toy_sentences(k, seed)`` for every ``k <= n``.

Every sentence is written the way it is spoken, so a TTS engine reads exactly its words: numbers are spelled out
("forty two", no digits, no hyphens), there are no abbreviations, contractions or symbols; the only punctuation is a
comma inside a sentence and one final ``.``/``?``/``!``. Whitespace-separated tokens are the words (punctuation stays
attached to its word, as :mod:`processing.align` keeps it).
"""

from __future__ import annotations

import random
from typing import Callable, List

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(n: int) -> str:
    """``0 <= n < 1000`` in words, American style without "and" or hyphens: ``342 -> "three hundred forty two"``."""
    if not 0 <= n < 1000:
        raise ValueError(f"`n` is {n}; number_words spells 0 to 999.")
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    rest = n % 100
    return _ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + number_words(rest))


# The world: the tiny random models' tokenizer corpus vocabulary (recipes/tiny/models.py), extended.
SUBJECTS = ["the cat", "a small robot", "my friend", "the old man", "robin", "the blue bird", "a child", "the teacher",
            "the farmer", "my sister", "the little dog", "a tall woman", "the baker", "our neighbour", "the captain",
            "a young girl", "the doctor", "my brother", "the grey mouse", "a quiet boy"]
VERBS = ["sees", "likes", "finds", "paints", "counts", "opens", "follows", "carries", "hears", "builds", "moves",
         "cleans", "hides", "draws", "watches", "picks up", "drops", "pushes", "wants", "remembers"]
OBJECTS = ["the red box", "three apples", "a green door", "the river", "two stones", "a yellow kite", "the map",
           "seven birds", "a wooden chair", "the bright moon", "the old clock", "a silver key", "five cups",
           "the heavy bag", "a paper boat", "the orange ball", "four books", "a glass bottle", "the white horse",
           "six candles"]
PLACES = ["in the garden", "near the house", "at night", "by the lake", "on the hill", "under the tree",
          "in the morning", "behind the wall", "in the kitchen", "at the market", "near the bridge", "after lunch",
          "in the forest", "on the beach", "before dinner", "in the village"]
COLOURS = ["red", "blue", "green", "yellow", "black", "white", "orange", "purple", "brown", "grey", "pink", "silver"]
SIZES = ["small", "big", "tiny", "large", "tall", "short", "long", "heavy", "light", "round", "square", "old", "new"]
THINGS = ["box", "ball", "cup", "lamp", "chair", "table", "book", "key", "hat", "bottle", "kite", "clock", "basket",
          "pencil", "plate", "bag", "shoe", "candle", "stone", "flower"]
PLURALS = {"box": "boxes", "ball": "balls", "cup": "cups", "lamp": "lamps", "chair": "chairs", "table": "tables",
           "book": "books", "key": "keys", "hat": "hats", "bottle": "bottles", "kite": "kites", "clock": "clocks",
           "basket": "baskets", "pencil": "pencils", "plate": "plates", "bag": "bags", "shoe": "shoes",
           "candle": "candles", "stone": "stones", "flower": "flowers", "apple": "apples", "bird": "birds",
           "egg": "eggs", "coin": "coins", "shell": "shells", "leaf": "leaves", "fish": "fish", "sheep": "sheep"}
COUNTABLES = ["apple", "bird", "egg", "coin", "shell", "leaf", "fish", "sheep", "book", "stone", "cup", "flower"]
RELATIONS = ["on", "under", "next to", "behind", "in front of", "inside", "near", "beside", "above", "below"]
ROOMS = ["kitchen", "bedroom", "living room", "bathroom", "hallway", "garage", "office", "garden", "attic", "cellar"]
DEVICES = ["light", "lamp", "heater", "fan", "radio", "television", "oven", "music", "alarm", "window blinds"]
SWITCH = ["turn on", "turn off", "switch on", "switch off", "dim", "check"]
COMMANDS = ["turn on the light", "open the window", "play some music", "stop the timer", "show me the map",
            "call my friend", "close the door", "count to ten", "lock the front door", "water the plants",
            "feed the cat", "read me a story", "start the washing machine", "clean the floor", "pause the song"]
DIRECTIONS = ["left", "right", "forward", "back", "up", "down"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
WEATHER = ["sunny", "cloudy", "rainy", "windy", "cold", "warm", "foggy", "bright", "quiet", "stormy"]
FEELINGS = ["happy", "tired", "hungry", "sleepy", "busy", "calm", "curious", "cheerful", "surprised", "proud"]
NAMES = ["Anna", "Peter", "Maria", "David", "Laura", "Thomas", "Emma", "Daniel", "Sarah", "Oliver", "Julia",
         "Robin", "Nina", "Samuel", "Clara", "Victor"]


def _cap(s: str) -> str:
    return s[0].upper() + s[1:]


def _thing(rng: random.Random, article: str = "the") -> str:
    parts = [article]
    if rng.random() < 0.5:
        parts.append(rng.choice(SIZES))
    parts.append(rng.choice(COLOURS))
    parts.append(rng.choice(THINGS))
    return " ".join(parts)


def _count(rng: random.Random, low: int = 2, high: int = 99) -> str:
    n = rng.randint(low, high)
    noun = rng.choice(COUNTABLES)
    return f"{number_words(n)} {PLURALS[noun]}"


def _describe(rng):
    return f"{_cap(_thing(rng))} is {rng.choice(RELATIONS)} {_thing(rng)}."


def _story(rng):
    return f"{_cap(rng.choice(SUBJECTS + NAMES))} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(PLACES)}."


def _command(rng):
    kind = rng.randrange(4)
    if kind == 0:
        return f"Please {rng.choice(COMMANDS)}, then {rng.choice(COMMANDS)}."
    if kind == 1:
        return f"{_cap(rng.choice(SWITCH))} the {rng.choice(DEVICES)} in the {rng.choice(ROOMS)}."
    if kind == 2:
        return f"Move {_thing(rng)} {rng.choice(DIRECTIONS)} {number_words(rng.randint(2, 20))} steps."
    return f"Set a timer for {number_words(rng.randint(2, 59))} minutes."


def _numbers(rng):
    kind = rng.randrange(4)
    if kind == 0:
        a, b = rng.randint(0, 50), rng.randint(0, 50)
        return f"{_cap(number_words(a))} plus {number_words(b)} is {number_words(a + b)}."
    if kind == 1:
        a, b = rng.randint(2, 12), rng.randint(2, 12)
        return f"{_cap(number_words(a))} times {number_words(b)} makes {number_words(a * b)}."
    if kind == 2:
        return f"{_cap(rng.choice(NAMES))} counts {_count(rng)} {rng.choice(PLACES)}."
    return f"The {rng.choice(ROOMS)} has {_count(rng, 2, 999)}."


def _question(rng):
    kind = rng.randrange(4)
    if kind == 0:
        return f"Where is {_thing(rng)}?"
    if kind == 1:
        noun = rng.choice(COUNTABLES)
        return f"How many {PLURALS[noun]} are {rng.choice(RELATIONS)} {_thing(rng)}?"
    if kind == 2:
        return f"Is {_thing(rng)} in the {rng.choice(ROOMS)}?"
    return f"Can you {rng.choice(COMMANDS)}?"


def _time(rng):
    kind = rng.randrange(3)
    hour = number_words(rng.randint(1, 12))
    if kind == 0:
        return f"The train leaves at {hour} {number_words(rng.randint(10, 59))} on {rng.choice(DAYS)}."
    if kind == 1:
        return f"On {rng.choice(DAYS)} the sky is {rng.choice(WEATHER)} and the wind is {rng.choice(WEATHER)}."
    name, feeling, part = rng.choice(NAMES), rng.choice(FEELINGS), rng.choice(["morning", "evening", "afternoon"])
    return f"{_cap(name)} feels {feeling} at {hour} in the {part}!"


TEMPLATES: List[Callable[[random.Random], str]] = [_describe, _story, _command, _numbers, _question, _time]


def toy_sentences(n: int, seed: int = 0) -> List[str]:
    """``n`` distinct sentences of the toy world (seeded, prefix-stable; see the module docstring)."""
    if n < 1:
        raise ValueError(f"`n` is {n}; ask for at least one sentence.")
    rng = random.Random(seed)
    out, seen = [], set()
    tries = 0
    while len(out) < n:
        tries += 1
        if tries > 50 * n + 1000:
            raise ValueError(f"Could only draw {len(out)} distinct sentences out of {n} asked for.")
        s = TEMPLATES[rng.randrange(len(TEMPLATES))](rng)
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


__all__ = ["number_words", "toy_sentences", "TEMPLATES"]
