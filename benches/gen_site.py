#!/usr/bin/env python3
"""Generates a synthetic funnelcake site for the benchmarks.

    python3 benches/gen_site.py PAGES DEST      # writes DEST/funnelcake/

The site walks the eight value-journey stages: every page has a stage, an
offer type, a description, a date and a `next` step in the following stage;
its body has headings, paragraphs, a list and two `@/` links to other pages.
Every twentieth page of the subscribe stage is an opt-in with a form and its
own thank-you page. The same PAGES always gives the same site (seeded).
"""
import random
import sys
from pathlib import Path

STAGES = ["aware", "engage", "subscribe", "convert", "excite", "ascend", "advocate", "promote"]
OFFERS = {
    "aware": "content", "engage": "content", "subscribe": "lead_magnet",
    "convert": "tripwire", "excite": "content", "ascend": "upsell",
    "advocate": "referral", "promote": "referral",
}
WORDS = ("coffee roast bean grinder kettle brew filter crema origin harvest washed "
         "natural light dark espresso pour-over aroma body acidity sweet batch").split()


def sentence(rng, n):
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def paragraph(rng):
    return " ".join(sentence(rng, rng.randint(8, 16)) for _ in range(rng.randint(3, 6)))


def page_path(stage, i):
    return f"{stage}/page-{i}.md"


def body(rng, links):
    parts = [f"## {sentence(rng, 4)[:-1]}", paragraph(rng), paragraph(rng)]
    parts.append("\n".join(f"- {sentence(rng, 5)}" for _ in range(4)))
    parts.append(f"## {sentence(rng, 3)[:-1]}")
    parts.append(paragraph(rng) + " " + " ".join(f"[{rng.choice(WORDS)}](@/{l})" for l in links))
    return "\n\n".join(parts) + "\n"


def front_matter(fields):
    lines = ["---"] + [f"{k}: {v}" for k, v in fields] + ["---", ""]
    return "\n".join(lines)


def generate(pages, dest):
    rng = random.Random(pages)
    site = dest / "funnelcake"
    content = site / "content"
    per_stage = [pages // len(STAGES) + (1 if s < pages % len(STAGES) else 0) for s in range(len(STAGES))]
    paths = [[page_path(stage, i) for i in range(n)] for stage, n in zip(STAGES, per_stage)]
    everything = [p for stage in paths for p in stage]
    (site / "content").mkdir(parents=True, exist_ok=True)
    (site / "site.yaml").write_text(
        "title: Bench Roasters\nbase_url: https://bench.example\n"
        "description: A synthetic funnel for benchmarks\ndeploy: netlify\n")
    (content / "index.md").write_text(front_matter([
        ("title", "Bench Roasters"), ("description", "Start here"), ("stage", "aware"),
        ("next", paths[0][0] if paths[0] else everything[0])]) + body(rng, rng.sample(everything, 2)))
    for s, stage in enumerate(STAGES):
        following = paths[s + 1] if s + 1 < len(STAGES) and paths[s + 1] else None
        for i, path in enumerate(paths[s]):
            write_page(rng, content, stage, i, path, following, everything)


def write_page(rng, content, stage, i, path, following, everything):
    fields = [
        ("title", f"{sentence(rng, 4)[:-1]} {stage} {i}"),
        ("description", sentence(rng, 10)),
        ("stage", stage), ("offer", OFFERS[stage]),
        ("date", f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"),
    ]
    if following:
        fields.append(("next", rng.choice(following)))
    target = content / path
    target.parent.mkdir(parents=True, exist_ok=True)
    if stage == "subscribe" and i % 20 == 0:
        thanks = f"{stage}/thanks-{i}.md"
        fields += [("layout", "optin"),
                   ("form", f"{{ fields: [email, name], thank_you: {thanks} }}")]
        (content / thanks).write_text(front_matter([
            ("title", f"Thank you {i}"), ("stage", stage), ("layout", "thankyou")]) + paragraph(rng) + "\n")
    target.write_text(front_matter(fields) + body(rng, rng.sample(everything, 2)))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    generate(int(sys.argv[1]), Path(sys.argv[2]))


if __name__ == "__main__":
    main()
