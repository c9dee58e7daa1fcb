//! The offer as a PDF (A4, as many pages as it needs): what the email calls "the offer".
//!
//! Built with krilla (the PDF writer of the Typst project): it embeds a subset of the TrueType
//! font with its ToUnicode map, so accents and "€" print and can be copied, searched and read
//! aloud. The layout is ours: text is measured with the font's advances (skrifa, which krilla
//! itself uses), wrapped by words, and every block that does not fit goes to the next page,
//! table headers repeated. Layout first produces a list of drawing operations per page; the
//! page count is then known for "Page 2 of 3" footers, and the operations are drawn.
//!
//! Deterministic: no clock, no random id. The same document gives the same bytes (the PDF's
//! document id is derived from the offer number, its date from the issue date).

use chrono::Datelike;
use krilla::{
    Document,
    color::luma,
    geom::{PathBuilder, Point, Rect},
    metadata::{DateTime as PdfDate, Metadata},
    num::NormalizedF32,
    page::PageSettings,
    paint::{Fill, Stroke},
    surface::Surface,
    text::{Font, GlyphId as PdfGlyphId, KrillaGlyph},
};
use skrifa::{
    FontRef, MetadataProvider,
    charmap::Charmap,
    instance::{LocationRef, Size},
    metrics::GlyphMetrics,
};

use super::{OfferDocument, QuoteError, qr};
use crate::i18n::Tr;

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSansCondensed.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSansCondensed-Bold.ttf");

/// A4 in points.
const PAGE_WIDTH: f32 = 595.28;
const PAGE_HEIGHT: f32 = 841.89;
const MARGIN: f32 = 42.0;
const TOP: f32 = 50.0;
/// Lowest baseline area for content; the footer sits below.
const BOTTOM: f32 = PAGE_HEIGHT - 54.0;
const CONTENT: f32 = PAGE_WIDTH - 2.0 * MARGIN;

const BODY: f32 = 9.0;
const SMALL: f32 = 7.5;
const CELL_PAD: f32 = 2.5;
const LEADING: f32 = 1.3;

const BLACK: u8 = 0;
const GREY: u8 = 90;
const RULE: u8 = 170;
const SHADE: u8 = 232;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Regular,
    Bold,
}

/// One font: the PDF font and what measuring needs.
struct Face {
    font: Font,
    charmap: Charmap<'static>,
    metrics: GlyphMetrics<'static>,
    units_per_em: f32,
}

impl Face {
    fn load(data: &'static [u8]) -> Result<Self, QuoteError> {
        let font = Font::new(data.into(), 0)
            .ok_or_else(|| QuoteError::Pdf("the embedded font cannot be read".into()))?;
        let parsed = FontRef::new(data).map_err(|error| QuoteError::Pdf(error.to_string()))?;
        let units_per_em = f32::from(
            parsed
                .metrics(Size::unscaled(), LocationRef::default())
                .units_per_em,
        );
        if units_per_em <= 0.0 {
            return Err(QuoteError::Pdf("the embedded font has no size".into()));
        }
        Ok(Face {
            font,
            charmap: parsed.charmap(),
            metrics: parsed.glyph_metrics(Size::unscaled(), LocationRef::default()),
            units_per_em,
        })
    }

    /// One glyph per character (the font needs no shaping for Latin text), advances in em.
    fn glyphs(&self, text: &str) -> Vec<KrillaGlyph> {
        text.char_indices()
            .map(|(start, c)| {
                let glyph = self.charmap.map(c).unwrap_or_default();
                let advance = self.metrics.advance_width(glyph).unwrap_or(0.0) / self.units_per_em;
                KrillaGlyph {
                    glyph_id: PdfGlyphId::new(glyph.to_u32()),
                    text_range: start..start + c.len_utf8(),
                    x_advance: advance,
                    x_offset: 0.0,
                    y_offset: 0.0,
                    y_advance: 0.0,
                    location: None,
                }
            })
            .collect()
    }

    /// The advance of `text` at `size`, trailing spaces left out.
    fn width(&self, text: &str, size: f32) -> f32 {
        text.trim_end_matches(' ')
            .chars()
            .map(|c| {
                let glyph = self.charmap.map(c).unwrap_or_default();
                self.metrics.advance_width(glyph).unwrap_or(0.0)
            })
            .sum::<f32>()
            / self.units_per_em
            * size
    }
}

struct Fonts {
    regular: Face,
    bold: Face,
}

impl Fonts {
    fn load() -> Result<Self, QuoteError> {
        Ok(Fonts {
            regular: Face::load(REGULAR)?,
            bold: Face::load(BOLD)?,
        })
    }

    fn face(&self, style: Style) -> &Face {
        match style {
            Style::Regular => &self.regular,
            Style::Bold => &self.bold,
        }
    }
}

/// One drawing operation; `y` grows downwards from the top of the page.
#[derive(Debug, Clone)]
enum Op {
    /// Text whose baseline starts at `(x, y)`.
    Text {
        x: f32,
        y: f32,
        style: Style,
        size: f32,
        grey: u8,
        text: String,
    },
    /// A filled rectangle.
    Fill {
        x: f32,
        y: f32,
        width: f32,
        height: f32,
        grey: u8,
    },
    /// A horizontal rule.
    Rule {
        x: f32,
        y: f32,
        width: f32,
        thickness: f32,
        grey: u8,
    },
    /// A QR code of `side` points, quiet zone included, top-left at `(x, y)`.
    Qr {
        x: f32,
        y: f32,
        side: f32,
        matrix: qr::QrMatrix,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}

#[derive(Debug, Clone, Copy)]
struct Column {
    width: f32,
    align: Align,
}

/// Breaks `text` into lines no wider than `width`: by words, and a word longer than a line by
/// characters. A line broken at a space keeps that space at its end (invisible, not measured):
/// text extraction and copying then give back "basse tension", not "bassetension".
fn wrap(face: &Face, text: &str, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if face.width(&candidate, size) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                line.push(' ');
                lines.push(std::mem::take(&mut line));
            }
            if face.width(word, size) <= width {
                line = word.to_owned();
                continue;
            }
            for c in word.chars() {
                let mut longer = line.clone();
                longer.push(c);
                if face.width(&longer, size) > width && !line.is_empty() {
                    lines.push(std::mem::replace(&mut line, c.to_string()));
                } else {
                    line = longer;
                }
            }
        }
        lines.push(line);
    }
    lines
}

/// Lays the document out on pages.
struct Layout<'a> {
    fonts: &'a Fonts,
    running_head: String,
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl<'a> Layout<'a> {
    fn new(fonts: &'a Fonts, running_head: String) -> Self {
        Layout {
            fonts,
            running_head,
            pages: vec![Vec::new()],
            y: TOP,
        }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        self.pages.last_mut().expect("a layout always has a page")
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        let head = self.running_head.clone();
        self.ops().push(Op::Text {
            x: MARGIN,
            y: TOP - 18.0,
            style: Style::Regular,
            size: SMALL,
            grey: GREY,
            text: head,
        });
        self.y = TOP;
    }

    /// Goes to the next page unless `height` more points fit on this one.
    fn ensure(&mut self, height: f32) {
        if self.y + height > BOTTOM && self.y > TOP {
            self.new_page();
        }
    }

    fn space(&mut self, height: f32) {
        self.y += height;
    }

    fn text(&mut self, x: f32, baseline: f32, style: Style, size: f32, grey: u8, text: &str) {
        if text.is_empty() {
            return;
        }
        self.ops().push(Op::Text {
            x,
            y: baseline,
            style,
            size,
            grey,
            text: text.to_owned(),
        });
    }

    /// A wrapped paragraph, `indent` points from the margin.
    fn paragraph(&mut self, text: &str, style: Style, size: f32, indent: f32) {
        let face = self.fonts.face(style);
        let lines = wrap(face, text, size, CONTENT - indent);
        let height = size * LEADING;
        for line in lines {
            self.ensure(height);
            let baseline = self.y + size;
            self.text(MARGIN + indent, baseline, style, size, BLACK, &line);
            self.y += height;
        }
    }

    /// A heading kept with at least a few lines of what follows it.
    fn heading(&mut self, text: &str, size: f32) {
        self.ensure(size * LEADING + 4.0 * BODY * LEADING);
        self.space(size * 0.6);
        self.paragraph(text, Style::Bold, size, 0.0);
        let y = self.y + 1.0;
        self.ops().push(Op::Rule {
            x: MARGIN,
            y,
            width: CONTENT,
            thickness: 0.6,
            grey: RULE,
        });
        self.space(4.0);
    }

    fn subheading(&mut self, text: &str) {
        self.ensure(BODY * LEADING * 3.0);
        self.space(3.0);
        self.paragraph(text, Style::Bold, BODY, 0.0);
    }

    /// A bulleted list with hanging indent.
    fn bullets(&mut self, items: &[String], size: f32) {
        let face = self.fonts.face(Style::Regular);
        let indent = 10.0;
        let height = size * LEADING;
        for item in items {
            let lines = wrap(face, item, size, CONTENT - indent);
            for (index, line) in lines.iter().enumerate() {
                self.ensure(height);
                let baseline = self.y + size;
                if index == 0 {
                    self.text(MARGIN + 2.0, baseline, Style::Regular, size, BLACK, "•");
                }
                self.text(MARGIN + indent, baseline, Style::Regular, size, BLACK, line);
                self.y += height;
            }
        }
    }

    /// Label and value pairs, labels in bold in a column of `label_width` points, starting
    /// `x` points from the margin and `width` wide.
    fn pairs(&mut self, rows: &[(String, String)], x: f32, label_width: f32, width: f32) {
        let height = BODY * LEADING;
        for (label, value) in rows {
            let labels = wrap(self.fonts.face(Style::Bold), label, BODY, label_width - 4.0);
            let values = wrap(
                self.fonts.face(Style::Regular),
                value,
                BODY,
                width - label_width,
            );
            let lines = labels.len().max(values.len()).max(1);
            self.ensure(height * lines as f32);
            let top = self.y;
            for (index, line) in labels.iter().enumerate() {
                let baseline = top + BODY + height * index as f32;
                self.text(MARGIN + x, baseline, Style::Bold, BODY, BLACK, line);
            }
            for (index, line) in values.iter().enumerate() {
                let baseline = top + BODY + height * index as f32;
                self.text(
                    MARGIN + x + label_width,
                    baseline,
                    Style::Regular,
                    BODY,
                    BLACK,
                    line,
                );
            }
            self.y = top + height * lines as f32;
        }
    }

    /// Amounts aligned on the right edge: label, amount; the last one in bold.
    fn totals(&mut self, rows: &[(String, String)]) {
        let height = BODY * LEADING;
        self.ensure(height * rows.len() as f32 + 2.0);
        let right = MARGIN + CONTENT - CELL_PAD;
        let label_right = right - 80.0;
        for (index, (label, amount)) in rows.iter().enumerate() {
            let style = if index + 1 == rows.len() {
                Style::Bold
            } else {
                Style::Regular
            };
            let baseline = self.y + BODY;
            let face = self.fonts.face(style);
            let label_x = label_right - face.width(label, BODY);
            let amount_x = right - face.width(amount, BODY);
            self.text(label_x, baseline, style, BODY, BLACK, label);
            self.text(amount_x, baseline, style, BODY, BLACK, amount);
            self.y += height;
        }
    }

    /// One table row: cells wrapped in their columns, drawn cell after cell so that each cell's
    /// text stays together when the text is extracted.
    fn row(&mut self, columns: &[Column], cells: &[String], style: Style, size: f32, shade: bool) {
        let face = self.fonts.face(style);
        let wrapped: Vec<Vec<String>> = columns
            .iter()
            .zip(cells)
            .map(|(column, cell)| wrap(face, cell, size, column.width - 2.0 * CELL_PAD))
            .collect();
        let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let line_height = size * LEADING;
        let height = line_height * lines as f32 + 2.0 * CELL_PAD;
        let top = self.y;
        if shade {
            self.ops().push(Op::Fill {
                x: MARGIN,
                y: top,
                width: columns.iter().map(|c| c.width).sum(),
                height,
                grey: SHADE,
            });
        }
        let mut x = MARGIN;
        for (column, cell_lines) in columns.iter().zip(&wrapped) {
            for (index, line) in cell_lines.iter().enumerate() {
                let baseline = top + CELL_PAD + size + line_height * index as f32;
                let left = match column.align {
                    Align::Left => x + CELL_PAD,
                    Align::Right => x + column.width - CELL_PAD - face.width(line, size),
                };
                self.text(left, baseline, style, size, BLACK, line);
            }
            x += column.width;
        }
        self.y = top + height;
        let y = self.y;
        self.ops().push(Op::Rule {
            x: MARGIN,
            y,
            width: columns.iter().map(|c| c.width).sum(),
            thickness: 0.4,
            grey: RULE,
        });
    }

    /// The height a row would take.
    fn row_height(&self, columns: &[Column], cells: &[String], style: Style, size: f32) -> f32 {
        let face = self.fonts.face(style);
        let lines = columns
            .iter()
            .zip(cells)
            .map(|(column, cell)| wrap(face, cell, size, column.width - 2.0 * CELL_PAD).len())
            .max()
            .unwrap_or(1)
            .max(1);
        size * LEADING * lines as f32 + 2.0 * CELL_PAD
    }

    /// A table with a shaded header row, repeated at the top of every page it runs onto.
    fn table(&mut self, columns: &[Column], header: &[String], rows: &[Vec<String>], size: f32) {
        let header_height = self.row_height(columns, header, Style::Bold, size);
        let first = rows
            .first()
            .map(|row| self.row_height(columns, row, Style::Regular, size))
            .unwrap_or(0.0);
        self.ensure(header_height + first);
        self.row(columns, header, Style::Bold, size, true);
        for row in rows {
            let height = self.row_height(columns, row, Style::Regular, size);
            if self.y + height > BOTTOM {
                self.new_page();
                self.row(columns, header, Style::Bold, size, true);
            }
            self.row(columns, row, Style::Regular, size, false);
        }
    }

    /// Payment details on the left and the QR code on the right, kept on one page.
    fn payment_block(&mut self, rows: &[(String, String)], matrix: qr::QrMatrix, caption: &str) {
        let side = 118.0;
        let caption_lines = wrap(self.fonts.face(Style::Regular), caption, SMALL, side);
        let height = side + SMALL * LEADING * caption_lines.len() as f32 + 4.0;
        self.ensure(height.max(BODY * LEADING * rows.len() as f32));
        let top = self.y;
        let qr_x = MARGIN + CONTENT - side;
        self.ops().push(Op::Qr {
            x: qr_x,
            y: top,
            side,
            matrix,
        });
        for (index, line) in caption_lines.iter().enumerate() {
            let baseline = top + side + SMALL + SMALL * LEADING * index as f32;
            self.text(qr_x, baseline, Style::Regular, SMALL, GREY, line);
        }
        self.space(8.0);
        self.pairs(rows, 0.0, 130.0, CONTENT - side - 12.0);
        self.y = self.y.max(top + height);
    }

    /// Footers on every page: the offer number and "Page n of N".
    fn footers(&mut self, tr: Tr, number: &str) {
        let count = self.pages.len().to_string();
        let face = self.fonts.face(Style::Regular);
        let baseline = PAGE_HEIGHT - 28.0;
        let pages: Vec<String> = (1..=self.pages.len())
            .map(|index| {
                let index = index.to_string();
                tr.f(
                    "offer.page",
                    [("page", index.as_str()), ("pages", count.as_str())],
                )
            })
            .collect();
        for (ops, label) in self.pages.iter_mut().zip(pages) {
            ops.push(Op::Rule {
                x: MARGIN,
                y: baseline - SMALL - 4.0,
                width: CONTENT,
                thickness: 0.4,
                grey: RULE,
            });
            ops.push(Op::Text {
                x: MARGIN,
                y: baseline,
                style: Style::Regular,
                size: SMALL,
                grey: GREY,
                text: format!("Connect my home — {number}"),
            });
            ops.push(Op::Text {
                x: MARGIN + CONTENT - face.width(&label, SMALL),
                y: baseline,
                style: Style::Regular,
                size: SMALL,
                grey: GREY,
                text: label,
            });
        }
    }
}

fn fill(grey: u8) -> Fill {
    Fill {
        paint: luma::Color::new(grey).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

fn draw(surface: &mut Surface<'_>, fonts: &Fonts, op: &Op) {
    match op {
        Op::Text {
            x,
            y,
            style,
            size,
            grey,
            text,
        } => {
            let face = fonts.face(*style);
            surface.set_stroke(None);
            surface.set_fill(Some(fill(*grey)));
            surface.draw_glyphs(
                Point::from_xy(*x, *y),
                &face.glyphs(text),
                face.font.clone(),
                text,
                *size,
                false,
            );
        }
        Op::Fill {
            x,
            y,
            width,
            height,
            grey,
        } => {
            let mut path = PathBuilder::new();
            if let Some(rect) = Rect::from_xywh(*x, *y, *width, *height) {
                path.push_rect(rect);
            }
            if let Some(path) = path.finish() {
                surface.set_stroke(None);
                surface.set_fill(Some(fill(*grey)));
                surface.draw_path(&path);
            }
        }
        Op::Rule {
            x,
            y,
            width,
            thickness,
            grey,
        } => {
            let mut path = PathBuilder::new();
            path.move_to(*x, *y);
            path.line_to(x + width, *y);
            if let Some(path) = path.finish() {
                surface.set_fill(None);
                surface.set_stroke(Some(Stroke {
                    paint: luma::Color::new(*grey).into(),
                    width: *thickness,
                    ..Default::default()
                }));
                surface.draw_path(&path);
                surface.set_stroke(None);
            }
        }
        Op::Qr { x, y, side, matrix } => {
            let modules = (matrix.width() + 2 * qr::QUIET_ZONE) as f32;
            let unit = side / modules;
            let offset = qr::QUIET_ZONE as f32 * unit;
            let mut path = PathBuilder::new();
            for (mx, my, length) in matrix.dark_runs() {
                if let Some(rect) = Rect::from_xywh(
                    x + offset + mx as f32 * unit,
                    y + offset + my as f32 * unit,
                    length as f32 * unit,
                    unit,
                ) {
                    path.push_rect(rect);
                }
            }
            if let Some(path) = path.finish() {
                surface.set_stroke(None);
                surface.set_fill(Some(fill(BLACK)));
                surface.draw_path(&path);
            }
        }
    }
}

/// Lays the whole offer out; public to the module's tests through `pdf`.
fn layout<'a>(doc: &OfferDocument, tr: Tr, fonts: &'a Fonts) -> Result<Layout<'a>, QuoteError> {
    let number = doc.number();
    let version = doc.version.to_string();
    let heading = tr.f(
        "offer.heading",
        [
            ("reference", doc.reference.as_str()),
            ("version", version.as_str()),
        ],
    );
    let mut page = Layout::new(fonts, format!("Connect my home — {heading}"));

    // Header: who, what, until when.
    page.paragraph("Connect my home", Style::Bold, 18.0, 0.0);
    page.paragraph(tr.t("offer.title"), Style::Regular, 13.0, 0.0);
    page.space(6.0);
    page.pairs(
        &[
            (tr.t("offer.number").to_owned(), number.clone()),
            (tr.t("offer.issued_on").to_owned(), tr.date(doc.issued_on)),
            (
                tr.t("offer.valid_until").to_owned(),
                tr.date(doc.valid_until),
            ),
        ],
        0.0,
        120.0,
        CONTENT,
    );
    if let Some(line) = doc.supersedes_line(&tr) {
        page.space(4.0);
        page.paragraph(&line, Style::Bold, BODY, 0.0);
    }
    page.space(8.0);
    let top = page.y;
    let half = CONTENT / 2.0;
    let mut applicant = vec![doc.applicant.name.clone()];
    applicant.extend(doc.applicant.address.iter().cloned());
    applicant.push(doc.applicant.email.clone());
    let contact = vec![
        doc.contact.officer.clone(),
        doc.contact.organisation.clone(),
        doc.contact.email.clone(),
        doc.contact.phone.clone(),
    ];
    let mut bottom = top;
    for (x, title, lines) in [
        (0.0, tr.t("offer.applicant"), applicant),
        (half, tr.t("offer.contact"), contact),
    ] {
        page.y = top;
        let face = fonts.face(Style::Bold);
        for line in wrap(face, title, BODY, half - 10.0) {
            let baseline = page.y + BODY;
            page.text(MARGIN + x, baseline, Style::Bold, BODY, BLACK, &line);
            page.y += BODY * LEADING;
        }
        for line in lines
            .iter()
            .flat_map(|l| wrap(fonts.face(Style::Regular), l, BODY, half - 10.0))
        {
            let baseline = page.y + BODY;
            page.text(MARGIN + x, baseline, Style::Regular, BODY, BLACK, &line);
            page.y += BODY * LEADING;
        }
        bottom = bottom.max(page.y);
    }
    page.y = bottom + 6.0;
    page.pairs(
        &[(tr.t("offer.site").to_owned(), doc.site.clone())],
        0.0,
        120.0,
        CONTENT,
    );
    page.space(4.0);
    page.paragraph(tr.t("offer.one_offer"), Style::Regular, BODY, 0.0);

    // One section per operator.
    let columns = [
        Column {
            width: 0.0,
            align: Align::Left,
        },
        Column {
            width: 26.0,
            align: Align::Right,
        },
        Column {
            width: 38.0,
            align: Align::Left,
        },
        Column {
            width: 52.0,
            align: Align::Right,
        },
        Column {
            width: 54.0,
            align: Align::Right,
        },
        Column {
            width: 50.0,
            align: Align::Left,
        },
        Column {
            width: 46.0,
            align: Align::Right,
        },
        Column {
            width: 34.0,
            align: Align::Left,
        },
        Column {
            width: 86.0,
            align: Align::Left,
        },
    ];
    let mut columns = columns;
    columns[0].width = CONTENT - columns[1..].iter().map(|c| c.width).sum::<f32>();
    let header: Vec<String> = [
        "offer.line",
        "offer.quantity",
        "offer.unit",
        "offer.unit_price",
        "offer.amount_excl_vat",
        "offer.regime",
        "offer.vat",
        "offer.rule",
        "offer.book",
    ]
    .iter()
    .map(|key| tr.t(key).to_owned())
    .collect();
    for section in &doc.sections {
        page.heading(&section.heading(), 12.0);
        page.paragraph(&section.title(&tr), Style::Bold, BODY, 0.0);
        if let Some(payer) = section.payer_line(&tr) {
            page.paragraph(&payer, Style::Bold, BODY, 0.0);
        }
        if let Some(note) = section.invoice_note(&tr) {
            page.paragraph(&note, Style::Regular, BODY, 0.0);
        }
        let rows: Vec<Vec<String>> = section
            .lines
            .iter()
            .map(|line| {
                vec![
                    line.label.clone(),
                    tr.number(line.quantity),
                    line.unit.clone(),
                    tr.money(line.unit_price),
                    tr.money(line.amount_excl_vat),
                    line.vat_label.clone(),
                    tr.money(line.vat_amount),
                    line.rule.clone(),
                    line.book_version.clone(),
                ]
            })
            .collect();
        page.table(&columns, &header, &rows, SMALL);
        page.space(3.0);
        page.totals(&[
            (
                tr.t("offer.subtotal_excl_vat").to_owned(),
                tr.money(section.subtotal_excl_vat),
            ),
            (
                tr.t("offer.subtotal_vat").to_owned(),
                tr.money(section.subtotal_vat),
            ),
            (
                tr.t("offer.subtotal_incl_vat").to_owned(),
                tr.money(section.subtotal_incl_vat),
            ),
        ]);
        if !section.prerequisites.is_empty() {
            page.subheading(tr.t("offer.prerequisites"));
            page.bullets(&section.prerequisites, BODY);
        }
        if !section.lead_time.is_empty() {
            page.space(2.0);
            page.pairs(
                &[(
                    tr.t("offer.lead_time").to_owned(),
                    section.lead_time.clone(),
                )],
                0.0,
                120.0,
                CONTENT,
            );
        }
        // A refused part in writing, with its reason and rule (B-4.4).
        if !section.refusals.is_empty() {
            page.subheading(tr.t("refusal.title"));
            page.bullets(&section.refusals, BODY);
        }
        if !section.notes.is_empty() {
            page.subheading(tr.t("offer.notes"));
            page.bullets(&section.notes, BODY);
        }
    }

    // The whole offer: VAT per rate and regime, totals, mentions, tariff books.
    page.heading(tr.t("offer.grand_total"), 12.0);
    if !doc.vat.is_empty() {
        let vat_columns = [
            Column {
                width: CONTENT - 180.0,
                align: Align::Left,
            },
            Column {
                width: 90.0,
                align: Align::Right,
            },
            Column {
                width: 90.0,
                align: Align::Right,
            },
        ];
        let vat_header = vec![
            tr.t("offer.regime").to_owned(),
            tr.t("offer.base").to_owned(),
            tr.t("offer.vat").to_owned(),
        ];
        let vat_rows: Vec<Vec<String>> = doc
            .vat
            .iter()
            .map(|row| vec![row.label.clone(), tr.money(row.base), tr.money(row.vat)])
            .collect();
        page.subheading(tr.t("offer.vat_breakdown"));
        page.table(&vat_columns, &vat_header, &vat_rows, BODY);
        page.space(4.0);
    }
    page.totals(&[
        (
            tr.t("offer.total_excl_vat").to_owned(),
            tr.money(doc.total_excl_vat),
        ),
        (tr.t("offer.total_vat").to_owned(), tr.money(doc.total_vat)),
        (
            tr.t("offer.total_incl_vat").to_owned(),
            tr.money(doc.total_incl_vat),
        ),
    ]);
    if !doc.vat_mentions.is_empty() {
        page.subheading(tr.t("offer.vat_mentions"));
        page.bullets(&doc.vat_mentions, BODY);
    }
    let books: Vec<String> = doc.book_versions().iter().map(|b| b.to_string()).collect();
    if !books.is_empty() {
        page.space(4.0);
        page.pairs(
            &[(tr.t("offer.books").to_owned(), books.join(", "))],
            0.0,
            120.0,
            CONTENT,
        );
    }

    if !doc.conditions.is_empty() {
        page.heading(tr.t("offer.conditions"), 12.0);
        page.bullets(&doc.conditions, BODY);
    }

    page.heading(tr.t("offer.proposed_days"), 12.0);
    if doc.proposed_days.is_empty() {
        page.paragraph(tr.t("offer.no_days"), Style::Regular, BODY, 0.0);
    } else {
        page.paragraph(tr.t("offer.proposed_days_intro"), Style::Regular, BODY, 0.0);
        let days: Vec<String> = doc
            .proposed_days
            .iter()
            .map(|day| tr.weekday_date(*day))
            .collect();
        page.bullets(&days, BODY);
    }

    // The payment heading and its introduction stay with the first payee's block.
    if doc.payments().next().is_some() {
        page.ensure(220.0);
    }
    page.heading(tr.t("offer.payment"), 12.0);
    page.paragraph(tr.t("offer.payment_intro"), Style::Regular, BODY, 0.0);
    for (section, payment) in doc.payments() {
        let payload = payment.checked_payload()?;
        let matrix = qr::matrix(&payload)?;
        let mut rows = vec![
            (tr.t("offer.payee").to_owned(), payment.payee.clone()),
            (tr.t("offer.amount").to_owned(), tr.money(payment.amount)),
            (tr.t("offer.iban").to_owned(), payment.iban_display()),
        ];
        if let Some(bic) = payment.parsed_bic().ok().flatten() {
            rows.push((tr.t("offer.bic").to_owned(), bic.to_string()));
        }
        let communication = payment
            .communication()
            .map(|c| c.to_string())
            .unwrap_or_else(|_| payment.structured_communication.clone());
        rows.push((tr.t("offer.communication").to_owned(), communication));
        page.subheading(&format!("{} — {}", section.operator, section.title(&tr)));
        if let Some(payer) = section.payer_line(&tr) {
            page.paragraph(&payer, Style::Regular, BODY, 0.0);
        }
        if payment.after_works {
            page.paragraph(tr.t("offer.after_works"), Style::Regular, BODY, 0.0);
        }
        page.payment_block(&rows, matrix, tr.t("offer.qr_caption"));
        page.space(6.0);
    }
    // Shares paid to earlier holders directly (B-10) and what an operator pays the applicant
    // (V-9.2): said apart from the operators' payments, never netted with them.
    let shares: Vec<String> = doc
        .holder_shares()
        .map(|(_, share)| {
            format!(
                "{} ({}) : {} — {}",
                share.holder,
                share.parcel,
                tr.money(share.amount),
                share.formula
            )
        })
        .collect();
    if !shares.is_empty() {
        page.subheading(tr.t("offer.holders"));
        page.bullets(&shares, BODY);
    }
    let credits: Vec<String> = doc
        .credits()
        .map(|(_, credit)| {
            format!(
                "{} : {} — {}, {}",
                credit.payer,
                credit.label,
                tr.money(credit.amount),
                credit.when
            )
        })
        .collect();
    if !credits.is_empty() {
        page.subheading(tr.t("offer.credits"));
        page.bullets(&credits, BODY);
    }
    let nothing_due = doc.nothing_due(&tr);
    if !nothing_due.is_empty() {
        page.space(4.0);
        page.bullets(&nothing_due, BODY);
    }

    page.footers(tr, &number);
    Ok(page)
}

/// The offer as a PDF document. Fails, rather than print a wrong payment instruction, when a
/// payee's payment details are not valid.
pub fn pdf(doc: &OfferDocument, tr: Tr) -> Result<Vec<u8>, QuoteError> {
    let fonts = Fonts::load()?;
    let pages = layout(doc, tr, &fonts)?.pages;
    let mut document = Document::new();
    let issued = doc.issued_on;
    let month = u8::try_from(issued.month()).unwrap_or(1);
    let day = u8::try_from(issued.day()).unwrap_or(1);
    let year = u16::try_from(issued.year()).unwrap_or(2000);
    document.set_metadata(
        Metadata::new()
            .title(format!("{} {}", tr.t("offer.title"), doc.number()))
            .creator("Connect my home".to_owned())
            .producer("Connect my home".to_owned())
            .language(tr.lang().to_owned())
            .document_id(format!("connect-my-home/{}", doc.number()))
            .creation_date(PdfDate::new(year).month(month).day(day)),
    );
    for ops in &pages {
        let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
            .ok_or_else(|| QuoteError::Pdf("invalid page size".into()))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        for op in ops {
            draw(&mut surface, &fonts, op);
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|error| QuoteError::Pdf(format!("{error:?}")))
}

/// The number of pages the offer takes, for tests and previews.
pub fn page_count(doc: &OfferDocument, tr: Tr) -> Result<usize, QuoteError> {
    let fonts = Fonts::load()?;
    Ok(layout(doc, tr, &fonts)?.pages.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_every_word_and_respects_the_width() {
        let fonts = Fonts::load().unwrap();
        let text = "Raccordement gaz standard dans un logement neuf (gratuit) — 1 234,56 €";
        let lines = wrap(&fonts.regular, text, SMALL, 80.0);
        assert!(lines.len() > 1, "{lines:?}");
        for line in &lines {
            assert!(fonts.regular.width(line, SMALL) <= 80.0, "{line}");
        }
        assert_eq!(lines.concat(), text);
        // A word longer than the line is cut by characters, nothing lost.
        let long = "ORES-2026-demo.1-with-a-very-long-book-version";
        let cut = wrap(&fonts.regular, long, SMALL, 40.0);
        assert!(cut.len() > 1);
        assert_eq!(cut.concat(), long);
    }

    #[test]
    fn the_font_has_the_glyphs_of_french_and_money() {
        let fonts = Fonts::load().unwrap();
        for c in "éèêàçôûœÉ€\u{202f}\u{2212}—’«»".chars() {
            assert!(fonts.regular.charmap.map(c).is_some(), "{c:?}");
            assert!(fonts.bold.charmap.map(c).is_some(), "{c:?}");
        }
    }
}
