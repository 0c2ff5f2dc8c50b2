#!/usr/bin/python3
"""Builds the bundled web fonts in web/fonts/ (npm run build copies them to static/).

Run it only to change the fonts; its output is committed. Needs fontTools with brotli
(Debian: apt-get install python3-fonttools python3-brotli fonts-inter) and the Vazirmatn
package from npm (npm pack vazirmatn@33.0.3; pass the unpacked package directory).

    /usr/bin/python3 web/fonts/build.py /tmp/vazirmatn/package

Two faces of one family, "Ringside Sans", told apart by unicode-range in app.css:
- Inter 4.0 (Latin, Latin-1, Latin Extended-A for Czech, Cyrillic for Russian), weights
  400, 600 and 700;
- Vazirmatn 33 (Arabic script for Persian, with its Persian digits), variable 100-900.
Both under the SIL Open Font License 1.1 (web/fonts/OFL-*.txt). Digits are made tabular
by default (the fonts' tnum forms take the digits' places), so timers never change width
and read the same in SVG text, with or without font-variant-numeric.
"""
import sys

from fontTools import subset
from fontTools.ttLib import TTFont

INTER = "/usr/share/fonts/opentype/inter/Inter-{}.otf"
LATIN = ("U+0020-007E,U+00A0-00FF,U+0100-017F,U+0400-045F,U+2010-2027,U+2030-203A,"
         "U+2044,U+20AC,U+2116,U+2190-2195,U+2212,U+2215")
ARABIC = "U+060C-06FF,U+200C-200F,U+2066-2069,U+FD3E-FD3F"


def tabular_digits(font):
    """Points every character that has a tnum form at that form."""
    if "GSUB" not in font:
        return
    gsub = font["GSUB"].table
    subst = {}
    for rec in gsub.FeatureList.FeatureRecord:
        if rec.FeatureTag != "tnum":
            continue
        for i in rec.Feature.LookupListIndex:
            for st in gsub.LookupList.Lookup[i].SubTable:
                if st.LookupType == 7:
                    st = st.ExtSubTable
                subst.update(getattr(st, "mapping", {}) or {})
    for table in font["cmap"].tables:
        for cp, glyph in list(table.cmap.items()):
            if glyph in subst:
                table.cmap[cp] = subst[glyph]


def build(src, unicodes, out):
    font = TTFont(src)
    tabular_digits(font)
    opts = subset.Options()
    opts.flavor = "woff2"
    opts.layout_features = ["*"]
    opts.desubroutinize = True
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=subset.parse_unicodes(unicodes))
    sub.subset(font)
    font.flavor = "woff2"
    font.save(out)


def main():
    vazirmatn = sys.argv[1] if len(sys.argv) > 1 else "/tmp/vz/package"
    for weight, name in [(400, "Regular"), (600, "SemiBold"), (700, "Bold")]:
        build(INTER.format(name), LATIN, f"web/fonts/inter4-latin-{weight}.woff2")
    build(vazirmatn + "/fonts/variable/Vazirmatn[wght].ttf", ARABIC, "web/fonts/vazirmatn33-persian.woff2")


if __name__ == "__main__":
    main()
