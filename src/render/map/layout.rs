//! Where the funnel map puts its cards and how its arrows run: a layered
//! layout. Stages are columns, pages are cards in rows, and arrows are
//! routed orthogonally through the free space only: the vertical channels
//! between columns and the horizontal corridors between rows. So no arrow
//! ever crosses a card, a back link or a link that skips stages included,
//! and every arrow starts on the side of its own card.
//!
//! Pages outside the journey (about, privacy) are not a column of their
//! own, which would push an eight-stage board past a laptop's width: they
//! sit in a band of rows below the stage columns, one card under each
//! column in turn, behind a heading; their arrows use the same channels
//! and corridors.
//!
//! Sizes are CSS pixels, `x` from the start of the line; a right-to-left
//! page mirrors the board in CSS.

use std::collections::HashMap;

/// The widest a column gets, on a journey with few stages.
pub(crate) const MAX_COL_W: usize = 232;
/// The narrowest: past it, a long journey scrolls sideways.
pub(crate) const MIN_COL_W: usize = 120;
/// The width the board tries to stay within: a 1280 px laptop screen less
/// its scrollbar and a margin.
pub(crate) const FIT_W: usize = 1240;
/// The channel between two columns, where vertical arrow segments run.
pub(crate) const GAP_X: usize = 32;
/// A card's height, unless its badges need more (see [`Layout::fit_rows`]).
pub(crate) const CARD_H: usize = 124;
/// The corridor between two rows, where arrows cross columns.
pub(crate) const GAP_Y: usize = 24;
/// The headings' height above the first card.
pub(crate) const HEAD_H: usize = 64;
/// The room for the heading of the band of pages outside the journey,
/// between the corridor below the last stage row and the band's cards.
pub(crate) const BAND_H: usize = 40;
pub(crate) const PAD: usize = 12;
/// The board's room on one landscape page, in CSS pixels (96 a inch):
/// the smaller of A4 and US Letter less 10 mm margins (980 × 718), less
/// the height of the map's title, counts and legend above the board
/// (launch's, the taller: 228 px with its legend on two lines).
pub(crate) const PRINT_W: usize = 980;
pub(crate) const PRINT_H: usize = 480;
/// Below this the cards' text is too small to read on paper; a taller
/// board prints on more pages instead.
const PRINT_MIN: f64 = 0.5;
/// Keeps a lane off the cards beside its channel or corridor.
const MARGIN: usize = 4;

/// A card's rectangle on the board.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rect {
    pub x: usize,
    pub y: usize,
    pub w: usize,
    pub h: usize,
}

/// Where the board puts things.
pub(crate) struct Layout {
    pub width: usize,
    pub height: usize,
    /// The width of every column and card.
    pub col_w: usize,
    /// How many columns the stages have (at least one).
    pub columns: usize,
    /// The most cards a column draws.
    pub limit: usize,
    /// By page index: the (column, row) of its card, or none for a page
    /// past its column's limit.
    pub cells: Vec<Option<(usize, usize)>>,
    /// The first row of the band of pages outside the journey, when there
    /// are any: the rows from it on lie [`BAND_H`] lower.
    pub band: Option<usize>,
    /// By row: the height of its cards, the tallest card's in it.
    heights: Vec<usize>,
    /// By row, and one past the last: its top, from `heights`.
    tops: Vec<usize>,
}

/// The `zoom` that fits a board of `width` × `height` into
/// [`PRINT_W`] × [`PRINT_H`]: 1 for a board that fits, never below
/// [`PRINT_MIN`].
pub(crate) fn print_scale(width: usize, height: usize) -> f64 {
    let fit = (PRINT_W as f64 / width as f64).min(PRINT_H as f64 / height as f64);
    fit.clamp(PRINT_MIN, 1.0)
}

/// One arrow as a list of points, each segment horizontal or vertical.
pub(crate) type Polyline = Vec<(usize, usize)>;

/// A card's place: (column, row).
pub(crate) type Cell = (usize, usize);

impl Layout {
    /// Lays out `columns` (the page indexes of each stage) with at most
    /// `limit` cards a column, plus a row saying how many more there are,
    /// and below them the band of `others` (pages outside the journey), at
    /// most `limit` cards filling the columns' places row by row. Columns
    /// narrow down to [`MIN_COL_W`] to fit [`FIT_W`]; the last channel
    /// stays, for links within the last column.
    pub(crate) fn new(
        columns: &[Vec<usize>],
        others: &[usize],
        pages: usize,
        limit: usize,
    ) -> Self {
        let mut cells = vec![None; pages];
        let mut rows = 1;
        for (c, column) in columns.iter().enumerate() {
            for (r, &i) in column.iter().take(limit).enumerate() {
                cells[i] = Some((c, r));
            }
            let more = usize::from(column.len() > limit);
            rows = rows.max(column.len().min(limit) + more);
        }
        let n = columns.len().max(1);
        let band = (!others.is_empty()).then_some(rows);
        for (k, &i) in others.iter().take(limit).enumerate() {
            cells[i] = Some(Layout::band_cell(n, rows, k));
        }
        // The band's cards, and the box saying how many more, fill its rows.
        let places = others.len().min(limit) + usize::from(others.len() > limit);
        rows += places.div_ceil(n);
        let col_w = ((FIT_W - PAD) / n).saturating_sub(GAP_X);
        let col_w = col_w.clamp(MIN_COL_W, MAX_COL_W);
        let mut layout = Layout {
            width: PAD + n * (col_w + GAP_X),
            height: 0,
            col_w,
            columns: n,
            limit,
            cells,
            band,
            heights: vec![CARD_H; rows],
            tops: Vec::new(),
        };
        layout.place_rows();
        layout
    }

    /// Makes each row as tall as the tallest card in it, by page index
    /// (see `fit::card_height`), so a card with many badges shows them
    /// all; the rows below move down, and the arrows run between them.
    pub(crate) fn fit_rows(mut self, height: impl Fn(usize) -> usize) -> Self {
        for (page, cell) in self.cells.iter().enumerate() {
            if let Some((_, row)) = *cell {
                self.heights[row] = self.heights[row].max(height(page));
            }
        }
        self.place_rows();
        self
    }

    /// The rows' tops and the board's height, from the rows' heights; the
    /// band's rows lie below its heading.
    fn place_rows(&mut self) {
        let mut top = HEAD_H;
        self.tops.clear();
        for (row, h) in self.heights.iter().enumerate() {
            if self.band == Some(row) {
                top += BAND_H;
            }
            self.tops.push(top);
            top += h + GAP_Y;
        }
        self.tops.push(top);
        self.height = top + PAD;
    }

    /// The `k`-th place of the band that starts at row `first`, on a board
    /// of `n` columns: row by row, in column order.
    fn band_cell(n: usize, first: usize, k: usize) -> Cell {
        (k % n, first + k / n)
    }

    /// The place of the band's `k`-th card (or of its "more" box).
    pub(crate) fn band_place(&self, k: usize) -> Option<Cell> {
        Some(Layout::band_cell(self.columns, self.band?, k))
    }

    /// True for a cell of the band of pages outside the journey.
    pub(crate) fn in_band(&self, (_, row): Cell) -> bool {
        self.band.is_some_and(|band| row >= band)
    }

    pub(crate) fn column_x(&self, column: usize) -> usize {
        PAD + column * (self.col_w + GAP_X)
    }

    /// The top of row `row`; the band's rows lie below its heading.
    pub(crate) fn row_y(&self, row: usize) -> usize {
        self.tops[row]
    }

    /// The height of the cards of row `row`.
    pub(crate) fn row_h(&self, row: usize) -> usize {
        self.heights[row]
    }

    /// Where the band's heading goes: below the corridor under the last
    /// stage row, so no arrow runs along it.
    pub(crate) fn band_y(&self) -> Option<usize> {
        Some(self.row_y(self.band?) - BAND_H)
    }

    pub(crate) fn rect(&self, (column, row): (usize, usize)) -> Rect {
        Rect {
            x: self.column_x(column),
            y: self.row_y(row),
            w: self.col_w,
            h: self.row_h(row),
        }
    }

    /// The channel before column `c`: its start and width.
    fn channel(&self, c: usize) -> (usize, usize) {
        (self.column_x(c) - GAP_X, GAP_X)
    }

    /// The corridor below row `r`.
    fn corridor(&self, r: usize) -> (usize, usize) {
        (self.row_y(r) + self.row_h(r), GAP_Y)
    }

    /// The arrows of `links` (from cell, to cell), in order. Links share
    /// the sides of cards, channels and corridors by spreading evenly over
    /// them, so the space they run through is never left.
    pub(crate) fn route(&self, links: &[(Cell, Cell)]) -> Vec<Polyline> {
        let routes: Vec<Route> = links.iter().map(|&(a, b)| Route::plan(a, b)).collect();
        let mut slots = Slots::default();
        for route in &routes {
            slots.claim(route);
        }
        routes
            .iter()
            .map(|route| self.draw(route, &mut slots))
            .collect()
    }

    fn draw(&self, route: &Route, slots: &mut Slots) -> Polyline {
        let (from, to) = (self.rect(route.from), self.rect(route.to));
        let side_x = |rect: Rect, end: bool| if end { rect.x + rect.w } else { rect.x };
        let port = |slots: &mut Slots, cell, end, rect: Rect| {
            rect.y + slots.take(Slot::Side(cell, end), rect.h)
        };
        let (x1, y1) = (
            side_x(from, route.leave_end),
            port(slots, route.from, route.leave_end, from),
        );
        let (x2, y2) = (
            side_x(to, route.enter_end),
            port(slots, route.to, route.enter_end, to),
        );
        let lane = |slots: &mut Slots, c| {
            let (start, width) = self.channel(c);
            start + slots.take(Slot::Channel(c), width)
        };
        let first = lane(slots, route.first);
        let mut points = vec![(x1, y1), (first, y1)];
        if let Some((row, last)) = route.corridor {
            let (start, height) = self.corridor(row);
            let y = start + slots.take(Slot::Corridor(row), height);
            let last = lane(slots, last);
            points.extend([(first, y), (last, y), (last, y2)]);
        } else {
            points.push((first, y2));
        }
        points.push((x2, y2));
        points
    }
}

/// How one link runs: out of which side of its card, through which
/// channels and which corridor, into which side of the other card.
struct Route {
    from: (usize, usize),
    to: (usize, usize),
    /// True to leave from the end side of the card (forward and within a
    /// column), false from the start side (back).
    leave_end: bool,
    enter_end: bool,
    /// The channel next to the source card.
    first: usize,
    /// For a link that crosses columns: the corridor's row and the
    /// channel next to the target card.
    corridor: Option<(usize, usize)>,
}

impl Route {
    fn plan(from: (usize, usize), to: (usize, usize)) -> Route {
        let ((c1, r1), (c2, r2)) = (from, to);
        // Channel k runs before column k: forward links leave into c1 + 1
        // and enter from c2; back links leave into c1 and enter from c2 + 1.
        let (leave_end, enter_end, first, last) = if c2 > c1 {
            (true, false, c1 + 1, c2)
        } else if c2 < c1 {
            (false, true, c1, c2 + 1)
        } else {
            (true, true, c1 + 1, c1 + 1)
        };
        Route {
            from,
            to,
            leave_end,
            enter_end,
            first,
            corridor: (first != last).then_some((r1.min(r2), last)),
        }
    }
}

/// A place that arrows share.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Slot {
    /// A side of the card at a cell: true for the end side.
    Side((usize, usize), bool),
    Channel(usize),
    Corridor(usize),
}

/// How many arrows use each place, then which of them is next: the
/// `i`-th of `n` sits at `(i + 1) / (n + 1)` of its span.
#[derive(Default)]
struct Slots {
    counts: HashMap<Slot, (usize, usize)>,
}

impl Slots {
    fn claim(&mut self, route: &Route) {
        let mut add = |slot| self.counts.entry(slot).or_default().1 += 1;
        add(Slot::Side(route.from, route.leave_end));
        add(Slot::Side(route.to, route.enter_end));
        add(Slot::Channel(route.first));
        if let Some((row, last)) = route.corridor {
            add(Slot::Corridor(row));
            add(Slot::Channel(last));
        }
    }

    /// The offset of the next arrow in `slot`, within a span of `size`.
    fn take(&mut self, slot: Slot, size: usize) -> usize {
        let (next, total) = self.counts.get_mut(&slot).expect("claimed first");
        *next += 1;
        let inner = size - 2 * MARGIN;
        MARGIN + *next * inner / (*total + 1)
    }
}

/// A polyline as SVG path data (`M10 20L30 20`), for `map.arrows`.
pub(crate) fn serialize_path<S: serde::Serializer>(
    points: &Polyline,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut d = String::new();
    for (i, (x, y)) in points.iter().enumerate() {
        let command = if i == 0 { "M" } else { "L" };
        d.push_str(&format!("{command}{x} {y}"));
    }
    serializer.serialize_str(&d)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// True when the segment from `a` to `b` (horizontal or vertical)
    /// passes through the inside of `rect`; touching its edge is not.
    pub(crate) fn crosses(a: (usize, usize), b: (usize, usize), rect: Rect) -> bool {
        let (x0, x1) = (a.0.min(b.0), a.0.max(b.0));
        let (y0, y1) = (a.1.min(b.1), a.1.max(b.1));
        x0 < rect.x + rect.w && x1 > rect.x && y0 < rect.y + rect.h && y1 > rect.y
    }

    #[test]
    fn a_segment_along_an_edge_does_not_cross_but_one_through_does() {
        let rect = Rect {
            x: 10,
            y: 10,
            w: 10,
            h: 10,
        };
        assert!(!crosses((20, 15), (30, 15), rect));
        assert!(crosses((5, 15), (30, 15), rect));
        assert!(crosses((15, 0), (15, 12), rect));
    }

    #[test]
    fn columns_narrow_to_fit_a_laptop_and_then_scroll() {
        let columns = |n| vec![Vec::new(); n];
        assert_eq!(Layout::new(&columns(3), &[], 0, 10).col_w, MAX_COL_W);
        let eight = Layout::new(&columns(8), &[], 0, 10);
        assert!(eight.width <= FIT_W, "{}", eight.width);
        assert_eq!(Layout::new(&columns(20), &[], 0, 10).col_w, MIN_COL_W);
    }

    #[test]
    fn print_shrinks_a_wide_or_tall_board_to_one_page_but_not_past_reading() {
        assert_eq!(print_scale(600, 300), 1.0);
        let eight = Layout::new(&vec![vec![0]; 8], &[], 1, 10);
        let scale = print_scale(eight.width, eight.height);
        assert!(eight.width as f64 * scale <= PRINT_W as f64, "{scale}");
        assert!(scale < 1.0 && scale > 0.75, "{scale}");
        assert_eq!(print_scale(900, 5000), PRINT_MIN);
    }

    #[test]
    fn a_tall_card_makes_its_row_taller_and_moves_the_rows_below() {
        // Two stages, then one page outside the journey.
        let columns = vec![vec![0, 1], vec![2]];
        let layout = Layout::new(&columns, &[3], 4, 10);
        let tall = Layout::new(&columns, &[3], 4, 10).fit_rows(|page| [100, 130, 200, 90][page]);
        // Every card of the first row is as tall as its tallest card.
        assert_eq!((tall.rect((0, 0)).h, tall.rect((1, 0)).h), (200, 200));
        assert_eq!(
            tall.rect((0, 1)),
            Rect {
                y: HEAD_H + 200 + GAP_Y,
                h: 130,
                ..layout.rect((0, 1))
            }
        );
        // The band's heading and cards, and the board's foot, move down.
        let moved = 200 - CARD_H + 130 - CARD_H;
        assert_eq!(tall.band_y(), layout.band_y().map(|y| y + moved));
        assert_eq!(tall.rect((0, 2)).y, layout.rect((0, 2)).y + moved);
        assert_eq!(tall.rect((0, 2)).h, CARD_H);
        assert_eq!(tall.height, layout.height + moved);
        // The corridor below a row starts at the foot of its cards.
        assert_eq!(tall.corridor(0), (HEAD_H + 200, GAP_Y));
    }

    #[test]
    fn pages_outside_the_journey_sit_in_a_band_below_the_columns_not_beside_them() {
        // Eight stages of two pages each (0..16), then three other pages.
        let columns: Vec<Vec<usize>> = (0..8).map(|c| vec![2 * c, 2 * c + 1]).collect();
        let layout = Layout::new(&columns, &[16, 17, 18], 19, 10);
        assert_eq!(layout.width, Layout::new(&columns, &[], 16, 10).width);
        assert!(layout.width <= FIT_W, "{}", layout.width);
        assert_eq!(layout.band, Some(2));
        let band: Vec<_> = (16..19).map(|i| layout.cells[i].unwrap()).collect();
        assert_eq!(band, [(0, 2), (1, 2), (2, 2)]);
        assert_eq!(layout.band_place(3), Some((3, 2)));
        // Its heading lies between the corridor below the last stage row
        // and the band's cards.
        let last_stage_row = layout.rect((0, 1));
        let heading = layout.band_y().unwrap();
        assert_eq!(heading, last_stage_row.y + CARD_H + GAP_Y);
        assert_eq!(layout.rect(band[0]).y, heading + BAND_H);
        assert_eq!(layout.height, heading + BAND_H + CARD_H + GAP_Y + PAD);
        // Nine places wrap onto a second row of the band.
        let nine: Vec<usize> = (16..25).collect();
        let wrapped = Layout::new(&columns, &nine, 25, 10);
        assert_eq!(wrapped.cells[24], Some((0, 3)));
        assert_eq!(wrapped.height, layout.height + CARD_H + GAP_Y);
    }
}
