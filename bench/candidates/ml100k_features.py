#!/usr/bin/env python3
"""Feature CSVs of MovieLens-100k for `reco candidates build twotower --user-features/--item-features`.

    bench/candidates/ml100k_features.py /work/shared/data/movielens-100k OUT_DIR

writes OUT_DIR/users.csv  (user,age,gender,occupation; age bucketed as MovieLens-1M does:
       <18, 18-24, 25-34, 35-44, 45-49, 50-55, 56+)
and    OUT_DIR/items.csv  (item,genres,year; genres multi-hot `a|b` from u.item's 19 flags
       named by u.genre, year bucketed by 5 years from the release date, empty when missing).
The MovieLens files are not redistributed: generate them next to the data, never commit them.
"""
import os
import sys


def age_bucket(age):
    for limit, name in ((18, "<18"), (25, "18-24"), (35, "25-34"), (45, "35-44"), (50, "45-49"), (56, "50-55")):
        if age < limit:
            return name
    return "56+"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    genres = []
    with open(os.path.join(src, "u.genre"), encoding="latin-1") as f:
        for line in f:
            if line.strip():
                name, index = line.strip().rsplit("|", 1)
                genres.append((int(index), name.replace(" ", "_").replace(",", "_").replace("'", "")))
    genre_names = [name for _, name in sorted(genres)]

    with open(os.path.join(src, "u.user"), encoding="latin-1") as f, \
            open(os.path.join(out, "users.csv"), "w") as w:
        w.write("user,age,gender,occupation\n")
        for line in f:
            if not line.strip():
                continue
            user, age, gender, occupation, _zip = line.strip().split("|")
            w.write(f"{user},{age_bucket(int(age))},{gender},{occupation}\n")

    with open(os.path.join(src, "u.item"), encoding="latin-1") as f, \
            open(os.path.join(out, "items.csv"), "w") as w:
        w.write("item,genres,year\n")
        for line in f:
            if not line.strip():
                continue
            parts = line.rstrip("\n").split("|")
            flags = parts[-19:]
            tokens = [genre_names[i] for i, v in enumerate(flags) if v == "1"]
            date = parts[2]
            year = ""
            if len(date) >= 4 and date[-4:].isdigit():
                y = int(date[-4:])
                year = f"{y - y % 5}s"
            w.write(f"{parts[0]},{'|'.join(tokens)},{year}\n")


if __name__ == "__main__":
    main()
