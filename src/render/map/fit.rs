//! How tall a card of the funnel map must be to hold its title and every
//! badge. The board is laid out here, not in the browser (the arrows are
//! SVG paths to fixed points on the cards' sides), so a card's height is
//! estimated from its text with the sizes of `_map-board.css`. The
//! estimate errs on the tall side: a card a little too tall leaves room
//! at its foot, one too short would cut off a conversion warning, which is
//! what the marketer opened the map to see.

use super::layout::CARD_H;

/// CSS pixels in a rem: the board's sizes are in rem, and both built-in
/// themes keep the browser's 16 px root.
const REM: f64 = 16.0;
/// A letter's width in em: above the average of the widest system sans
/// serif in bold (DejaVu Sans Bold, about 0.63 em on Latin and Greek).
const LETTER_EM: f64 = 0.66;
/// Ideographs, kana, Hangul and full-width forms take a whole em.
const WIDE_EM: f64 = 1.0;
/// The card's padding (0.5rem block, 0.65rem inline) and its thickest
/// border (3px, a dead end), on both sides.
const PAD_BLOCK: f64 = 2.0 * 0.5 * REM;
const PAD_INLINE: f64 = 2.0 * 0.65 * REM;
const BORDER: f64 = 2.0 * 3.0;
/// `@container (max-width: 10rem)`: the content width at which a card
/// turns compact.
const COMPACT_MAX: f64 = 10.0 * REM;
/// The title's clamp (`-webkit-line-clamp: 2`) and line height.
const TITLE_LINES: usize = 2;
const TITLE_LINE: f64 = 1.3;
/// A badge's line height, its border on both sides, and the gap between
/// badges.
const TAG_LINE: f64 = 1.5;
const TAG_BORDER: f64 = 2.0;
const TAG_GAP: f64 = 0.25 * REM;

/// The sizes that differ between a compact card and a wide one.
struct Look {
    title_px: f64,
    tag_px: f64,
    /// A badge's inline padding, on both sides.
    tag_pad: f64,
    /// The path line with its margins; a compact card hides it.
    path: f64,
}

const COMPACT: Look = Look {
    title_px: 0.875 * REM,
    tag_px: 0.7 * REM,
    tag_pad: 2.0 * 0.3 * REM,
    path: 0.0,
};

const WIDE: Look = Look {
    title_px: 0.95 * REM,
    tag_px: 0.75 * REM,
    tag_pad: 2.0 * 0.45 * REM,
    path: 0.75 * REM * 1.4 + 2.0 * 0.2 * REM,
};

/// The height, in CSS pixels, that a card `col_w` wide needs to show
/// `title` and every one of `badges` (their texts, in any order), and
/// never less than [`CARD_H`].
pub(crate) fn card_height(col_w: usize, title: &str, badges: &[String]) -> usize {
    let outer = col_w as f64 - PAD_INLINE;
    // Border widths differ by theme (1 to 3 px): where that decides the
    // container query, size the card for both looks.
    let looks: &[&Look] = match (outer - 2.0 <= COMPACT_MAX, outer - BORDER <= COMPACT_MAX) {
        (true, _) => &[&COMPACT],
        (false, true) => &[&COMPACT, &WIDE],
        (false, false) => &[&WIDE],
    };
    let inner = outer - BORDER;
    let needed = looks
        .iter()
        .map(|look| height(look, inner, title, badges))
        .fold(0.0, f64::max);
    (needed.ceil() as usize).max(CARD_H)
}

fn height(look: &Look, inner: f64, title: &str, badges: &[String]) -> f64 {
    let (lines, _) = wrap(title, look.title_px, inner);
    let title = lines.min(TITLE_LINES) as f64 * look.title_px * TITLE_LINE;
    PAD_BLOCK + BORDER + title + look.path + tags(look, inner, badges)
}

/// The height of the badges' flex rows: a badge joins the row if it fits
/// beside the others, and one whose text wraps takes rows of its own.
fn tags(look: &Look, inner: f64, badges: &[String]) -> f64 {
    let line = look.tag_px * TAG_LINE;
    let room = inner - look.tag_pad - TAG_BORDER;
    let mut rows: Vec<f64> = Vec::new();
    let mut used = inner;
    for badge in badges {
        let (lines, last) = wrap(badge, look.tag_px, room);
        let width = last + look.tag_pad + TAG_BORDER;
        if lines == 1 && used + TAG_GAP + width <= inner {
            used += TAG_GAP + width;
            continue;
        }
        rows.push(lines as f64 * line + TAG_BORDER);
        used = if lines == 1 { width } else { inner };
    }
    let gaps = rows.len().saturating_sub(1) as f64 * TAG_GAP;
    rows.iter().sum::<f64>() + gaps
}

/// The lines `text` takes at `px` a letter-em in lines `width` wide,
/// breaking at spaces and, within a word longer than a line, anywhere
/// (the cards' `overflow-wrap: anywhere`); and the last line's width.
fn wrap(text: &str, px: f64, width: f64) -> (usize, f64) {
    let space = LETTER_EM * px;
    let (mut lines, mut used) = (1, 0.0);
    for word in text.split_whitespace() {
        let mut w: f64 = word.chars().map(|c| em(c) * px).sum();
        if used > 0.0 && used + space + w <= width {
            used += space + w;
            continue;
        }
        if used > 0.0 {
            lines += 1;
        }
        while w > width {
            lines += 1;
            w -= width;
        }
        used = w;
    }
    (lines, used)
}

/// A letter's width in em.
fn em(c: char) -> f64 {
    let wide = matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFF00..=0xFF60);
    if wide {
        WIDE_EM
    } else {
        LETTER_EM
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn badges(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn a_card_with_a_few_short_badges_keeps_the_usual_height() {
        let plain = badges(&["landing", "noindex"]);
        assert_eq!(card_height(232, "Fresh coffee", &plain), CARD_H);
        assert_eq!(card_height(121, "Fresh coffee", &plain), CARD_H);
    }

    #[test]
    fn warnings_on_a_compact_card_make_it_taller_one_row_each() {
        let two = badges(&["landing", "heavy page"]);
        let four = badges(&["landing", "heavy page", "no proof", "long title"]);
        let title = "The starter kit with every tool for your first cup";
        let (short, tall) = (
            card_height(121, title, &two),
            card_height(121, title, &four),
        );
        assert_eq!(short, CARD_H);
        // Padding and borders, two lines of title, then four rows of
        // 0.7rem badges (none fits beside another on a compact card).
        let row = 0.7 * REM * TAG_LINE + TAG_BORDER;
        let least = PAD_BLOCK + BORDER + 2.0 * 0.875 * REM * TITLE_LINE + 4.0 * row + 3.0 * TAG_GAP;
        assert_eq!(tall, least.ceil() as usize);
        // A badge too long for the card's line wraps onto a second.
        let wrapped = badges(&["landing", "heavy page", "no social proof", "long title"]);
        let taller = least + 0.7 * REM * TAG_LINE;
        assert_eq!(card_height(121, title, &wrapped), taller.ceil() as usize);
    }

    #[test]
    fn a_word_longer_than_the_line_wraps_anywhere() {
        assert_eq!(wrap("ab cd", 10.0, 100.0).0, 1);
        assert_eq!(wrap("ab cd", 10.0, 15.0).0, 2);
        let long = "x".repeat(40);
        let (lines, last) = wrap(&long, 10.0, 100.0);
        assert_eq!(lines, 3);
        assert!((last - 64.0).abs() < 1e-6, "{last}");
        assert_eq!(wrap("漢字漢字", 10.0, 25.0).0, 2);
    }
}
