//! What the API commands (`users`, `roles`, `groups`) print: the same four formats for every
//! resource, from what each resource's [`Record`] says of its objects.

use std::io::{self, IsTerminal, Write};

use anyhow::Context as _;
use clap::ValueEnum;
use futures_util::{Stream, TryStreamExt};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns for people.
    Table,
    /// Indented JSON (an array for lists).
    Json,
    /// One object per line.
    Jsonl,
    /// Comma-separated values with one header row.
    Csv,
}

/// How a table column gives way when the width runs short.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    /// Always shown whole (ids, emails).
    Whole,
    /// Shown whole, or left out when it would leave the [`Fit::Rest`] column too little room.
    Optional,
    /// Takes the width that is left, cut with `…`; shown last.
    Rest,
}

/// One column of a table.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    pub header: &'static str,
    pub fit: Fit,
}

impl Column {
    pub const fn new(header: &'static str, fit: Fit) -> Self {
        Self { header, fit }
    }
}

/// An object of the API as the formats show it. JSON and JSON Lines are its own serde form,
/// exactly as the API sent it.
pub trait Record: Serialize {
    /// What a list of them is called ("users", "roles"), for the progress counter and hints.
    const NOUN: &'static str;
    /// The table's columns; at most one is [`Fit::Rest`], and it comes last.
    const COLUMNS: &'static [Column];
    /// The CSV header row.
    const CSV_HEADER: &'static [&'static str];
    /// One table cell per column of [`Self::COLUMNS`].
    fn cells(&self) -> Vec<String>;
    /// One CSV field per name of [`Self::CSV_HEADER`].
    fn csv_fields(&self) -> Vec<String>;
}

/// One object: indented JSON as an object, any other format as a list of one.
pub fn print_one<T: Record>(item: &T, format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => {
            let mut out = io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, item)?;
            writeln!(out)?;
            Ok(())
        }
        other => print_list(std::slice::from_ref(item), other),
    }
}

/// A list, whole.
pub fn print_list<T: Record>(items: &[T], format: Format) -> anyhow::Result<()> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    match format {
        Format::Table => out.write_all(table(items, table_width()).as_bytes())?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, items)?;
            writeln!(out)?;
        }
        Format::Jsonl => {
            for item in items {
                write_jsonl(&mut out, item)?;
            }
        }
        Format::Csv => {
            let mut writer = csv_writer::<T>();
            for item in items {
                write_csv_row(&mut writer, item)?;
            }
            out.write_all(&writer.into_inner().context("cannot write CSV")?)?;
        }
    }
    out.flush()?;
    Ok(())
}

/// One page of a list. When more follow, a table on a terminal is followed by `more` on
/// standard error: how to get the rest.
pub fn print_page<T: Record>(
    items: &[T],
    format: Format,
    more: Option<String>,
) -> anyhow::Result<()> {
    print_list(items, format)?;
    if let Some(more) = more
        && format == Format::Table
        && io::stderr().is_terminal()
    {
        eprintln!("(more {} follow: {more})", T::NOUN);
    }
    Ok(())
}

/// Every item of `stream`, page after page. JSON Lines and CSV are written as pages arrive;
/// tables and JSON need every item first. On a terminal a counter shows progress.
pub async fn print_all<T: Record>(
    stream: impl Stream<Item = Result<T, orgusers_client::Error>>,
    format: Format,
) -> anyhow::Result<()> {
    let progress = if io::stderr().is_terminal() {
        ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template(&format!("{{spinner}} {{pos}} {}", T::NOUN))
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        )
    } else {
        ProgressBar::hidden()
    };
    let mut stream = std::pin::pin!(stream);
    let mut collected = Vec::new();
    let mut out = io::BufWriter::new(io::stdout().lock());
    let mut csv = (format == Format::Csv).then(csv_writer::<T>);
    while let Some(item) = stream.try_next().await? {
        progress.inc(1);
        match (format, csv.as_mut()) {
            (Format::Jsonl, _) => write_jsonl(&mut out, &item)?,
            (Format::Csv, Some(writer)) => write_csv_row(writer, &item)?,
            _ => collected.push(item),
        }
    }
    progress.finish_and_clear();
    if let Some(writer) = csv {
        out.write_all(&writer.into_inner().context("cannot write CSV")?)?;
    }
    out.flush()?;
    drop(out);
    if matches!(format, Format::Table | Format::Json) {
        print_list(&collected, format)?;
    }
    Ok(())
}

fn write_jsonl(out: &mut impl Write, item: &impl Serialize) -> anyhow::Result<()> {
    serde_json::to_writer(&mut *out, item)?;
    out.write_all(b"\n")?;
    Ok(())
}

fn csv_writer<T: Record>() -> csv::Writer<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail.
    let _ = writer.write_record(T::CSV_HEADER);
    writer
}

fn write_csv_row<T: Record>(writer: &mut csv::Writer<Vec<u8>>, item: &T) -> anyhow::Result<()> {
    writer.write_record(item.csv_fields())?;
    Ok(())
}

/// `true` or `false`, as CSV shows booleans.
pub fn flag(value: bool) -> String {
    if value { "true" } else { "false" }.to_owned()
}

/// `COLUMNS` when set, else the terminal's width when printing to one, else 80.
fn table_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .or_else(|| {
            console::Term::stdout()
                .size_checked()
                .map(|(_, cols)| usize::from(cols))
        })
        .filter(|&c: &usize| c >= 40)
        .unwrap_or(80)
}

/// The date of a Unix time, `YYYY-MM-DD`.
pub fn date(unix: i64) -> String {
    let at =
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(unix).unwrap_or(0));
    humantime::format_rfc3339_seconds(at).to_string()[..10].to_owned()
}

/// Cuts `text` to `width` display columns, ending in `…` when cut.
fn fit(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// The narrowest the [`Fit::Rest`] column is worth showing; below it optional columns make room.
const MIN_REST_WIDTH: usize = 12;
const GAP: usize = 2;

/// Aligned columns within `width` display columns. [`Fit::Whole`] columns are never cut; the
/// [`Fit::Rest`] column takes what is left, cut with `…`, and [`Fit::Optional`] columns are
/// left out, from the right, while they would squeeze it too much.
pub fn table<T: Record>(items: &[T], width: usize) -> String {
    let columns = T::COLUMNS;
    let rows: Vec<Vec<String>> = items.iter().map(Record::cells).collect();
    let mut widths: Vec<usize> = columns.iter().map(|c| c.header.width()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    let rest = columns.iter().position(|c| c.fit == Fit::Rest);
    let mut shown: Vec<usize> = (0..columns.len()).filter(|&c| Some(c) != rest).collect();
    let fixed = |shown: &[usize]| -> usize { shown.iter().map(|&c| widths[c] + GAP).sum() };
    let mut rest_width = 0;
    if let Some(rest) = rest {
        while width.saturating_sub(fixed(&shown)) < MIN_REST_WIDTH.min(widths[rest]) {
            match shown.iter().rposition(|&c| columns[c].fit == Fit::Optional) {
                Some(optional) => shown.remove(optional),
                None => break,
            };
        }
        rest_width = widths[rest].min(width.saturating_sub(fixed(&shown))).max(4);
        shown.push(rest);
    }

    let mut out = String::new();
    let mut line = |cells: &[&str]| {
        let mut text = String::new();
        for &c in &shown {
            let cell = cells.get(c).copied().unwrap_or("");
            if Some(c) == rest {
                text.push_str(&fit(cell, rest_width));
            } else {
                text.push_str(cell);
                text.push_str(&" ".repeat(widths[c].saturating_sub(cell.width()) + GAP));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    let header: Vec<&str> = columns.iter().map(|c| c.header).collect();
    line(&header);
    for row in &rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        line(&cells);
    }
    out
}

/// A missing value in a table cell.
pub fn or_dash(value: Option<&str>) -> String {
    value.unwrap_or("-").to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Thing {
        id: &'static str,
        kind: &'static str,
        note: &'static str,
    }

    impl Record for Thing {
        const NOUN: &'static str = "things";
        const COLUMNS: &'static [Column] = &[
            Column::new("ID", Fit::Whole),
            Column::new("KIND", Fit::Optional),
            Column::new("NOTE", Fit::Rest),
        ];
        const CSV_HEADER: &'static [&'static str] = &["id", "kind", "note"];
        fn cells(&self) -> Vec<String> {
            vec![self.id.into(), self.kind.into(), self.note.into()]
        }
        fn csv_fields(&self) -> Vec<String> {
            self.cells()
        }
    }

    #[test]
    fn fit_counts_display_width() {
        assert_eq!(fit("abcdef", 10), "abcdef");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("王芳王芳", 5), "王芳…");
    }

    #[test]
    fn optional_columns_make_room_and_ids_stay_whole() {
        let things = [Thing {
            id: "thing-0123456789012345678901234567890123456789",
            kind: "a-rather-long-kind",
            note: "a note that is long enough to be cut somewhere",
        }];
        let wide = table(&things, 200);
        assert_eq!(
            wide.lines().next().unwrap(),
            format!("ID{}KIND{}NOTE", " ".repeat(46), " ".repeat(16))
        );
        assert!(wide.contains(things[0].note));
        let narrow = table(&things, 60);
        assert!(!narrow.contains("KIND"), "{narrow}");
        assert!(
            narrow.contains(things[0].id) && narrow.contains('…'),
            "{narrow}"
        );
        for line in narrow.lines() {
            assert!(line.width() <= 60, "{line:?}");
        }
        // Ids are kept even when nothing else fits.
        let cramped = table(&things, 40);
        assert!(cramped.contains(things[0].id), "{cramped}");
    }
}
