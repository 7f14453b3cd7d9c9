//! The export formats of the history: NDJSON lines and CSV rows (RFC 4180, safe to open in a
//! spreadsheet), written one event at a time into any `io::Write`, so an export of any size
//! streams.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, Write};

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

use crate::params::{QueryPair, one_of, read_pairs, set_once};
use crate::query::QueryScope;
use crate::{InvalidField, Timestamp, TrackingEvent, TrackingQuery};

/// How an export is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// One `TrackingEvent` as JSON per line.
    Ndjson,
    /// A header row, then one row per event; `metadata` as JSON text.
    Csv,
}

impl ExportFormat {
    /// Every format, in declaration order.
    pub const ALL: [Self; 2] = [Self::Ndjson, Self::Csv];

    /// The name used on the wire, also the file extension.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ndjson => "ndjson",
            Self::Csv => "csv",
        }
    }

    /// The `Content-Type` of the response.
    pub const fn content_type(self) -> &'static str {
        match self {
            Self::Ndjson => "application/x-ndjson",
            Self::Csv => "text/csv; charset=utf-8",
        }
    }

    /// `tracking-<UTC date of now>.<ext>`, for `Content-Disposition`.
    pub fn file_name(self, now: Timestamp) -> String {
        let date = now.to_string();
        format!("tracking-{}.{}", &date[..10], self.as_str())
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The query of the export routes: `format` and the filters of the matching list route, without
/// `limit` and `offset` (every match is exported).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportQuery {
    pub format: ExportFormat,
    pub filters: TrackingQuery,
}

impl ExportQuery {
    /// Reads decoded query-string pairs: `format` (required) and the filters `scope` allows.
    /// Unknown, repeated or malformed parameters, `limit` and `offset` are refused, naming them.
    pub fn from_pairs(
        pairs: impl IntoIterator<Item = impl QueryPair>,
        scope: QueryScope,
    ) -> Result<Self, InvalidField> {
        let (format, filters) =
            read_pairs(
                pairs,
                |(format, filters): &mut Parts, key, value| match key {
                    "format" => set_once(format, key, one_of(key, value, &ExportFormat::ALL)?),
                    "limit" | "offset" => Err(InvalidField::new(
                        key,
                        "is not accepted on an export: every match is exported",
                    )),
                    _ => {
                        filters.push((key.to_owned(), value.to_owned()));
                        Ok(())
                    }
                },
            )?;
        let filters = TrackingQuery::from_pairs(filters, scope)?;
        let format = format.ok_or_else(|| InvalidField::new("format", "is required"))?;
        Ok(Self { format, filters })
    }
}

/// What an export query holds while its pairs are read: the format, and the filters left for
/// [`TrackingQuery::from_pairs`].
type Parts = (Option<ExportFormat>, Vec<(String, String)>);

/// Why an event could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("writing the export failed: {0}")]
    Io(#[from] io::Error),
    #[error("encoding an event as csv failed: {0}")]
    Csv(#[from] csv::Error),
    #[error("encoding an event as json failed: {0}")]
    Json(#[from] serde_json::Error),
}

/// The CSV header: the event's fields in the model's order.
pub const CSV_HEADER: [&str; 12] = [
    "id",
    "user_id",
    "child_id",
    "entity_type",
    "entity_id",
    "action",
    "points_before",
    "points_after",
    "delta",
    "occurred_at",
    "created_at",
    "metadata",
];

/// Starts a CSV export: a UTF-8 byte order mark (so spreadsheets read the text as UTF-8), then the
/// header row.
pub fn write_csv_header(out: &mut impl Write) -> Result<(), ExportError> {
    out.write_all("\u{feff}".as_bytes())?;
    write_csv_record(out, &CSV_HEADER)
}

/// Writes one event as a CSV row: RFC 4180 quoting, CRLF, `user_id` and `metadata` empty when
/// null, `metadata` as JSON text, and every text cell that a spreadsheet would run as a formula
/// (starting with `=`, `+`, `-`, `@`, tab or carriage return) prefixed with `'`. The numbers
/// (`points_before`, `points_after`, `delta`) are written as they are.
pub fn write_csv_row(out: &mut impl Write, event: &TrackingEvent) -> Result<(), ExportError> {
    let text = |value: String| match neutralise(&value) {
        Cow::Borrowed(_) => value,
        Cow::Owned(prefixed) => prefixed,
    };
    let metadata = match event.metadata() {
        Some(metadata) => serde_json::to_string(metadata)?,
        None => String::new(),
    };
    let cells = [
        text(event.id().to_string()),
        text(event.user_id().map(|id| id.to_string()).unwrap_or_default()),
        text(event.child_id().to_string()),
        text(event.entity_type().to_string()),
        text(event.entity_id().to_string()),
        text(event.action().to_string()),
        event.points_before().to_string(),
        event.points_after().to_string(),
        event.delta().to_string(),
        text(event.occurred_at().to_string()),
        text(event.created_at().to_string()),
        text(metadata),
    ];
    write_csv_record(out, &cells)
}

/// Writes one event as a line of JSON (no line breaks inside), ending in `\n`.
pub fn write_ndjson_line(out: &mut impl Write, event: &TrackingEvent) -> Result<(), ExportError> {
    serde_json::to_writer(&mut *out, event)?;
    out.write_all(b"\n")?;
    Ok(())
}

/// A text cell as a spreadsheet may show it but never run it: prefixed with `'` when it starts
/// with `=`, `+`, `-`, `@`, tab or carriage return.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

fn write_csv_record(out: &mut impl Write, cells: &[impl AsRef<str>]) -> Result<(), ExportError> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .buffer_capacity(1024)
        .from_writer(out);
    writer.write_record(cells.iter().map(|cell| cell.as_ref().as_bytes()))?;
    writer.flush()?;
    Ok(())
}

/// An export in progress: writes the format's preamble on creation, then one event per call,
/// each reaching `W` before the call returns.
#[derive(Debug)]
pub struct ExportWriter<W> {
    format: ExportFormat,
    out: W,
}

impl<W: Write> ExportWriter<W> {
    /// Starts an export into `out` (for CSV, writes the byte order mark and the header).
    pub fn new(format: ExportFormat, mut out: W) -> Result<Self, ExportError> {
        if format == ExportFormat::Csv {
            write_csv_header(&mut out)?;
        }
        Ok(Self { format, out })
    }

    /// Writes one event.
    pub fn write_event(&mut self, event: &TrackingEvent) -> Result<(), ExportError> {
        match self.format {
            ExportFormat::Ndjson => write_ndjson_line(&mut self.out, event),
            ExportFormat::Csv => write_csv_row(&mut self.out, event),
        }
    }

    /// The sink, for instance to take the bytes written so far out of a `Vec<u8>`.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    /// Ends the export, handing back the sink.
    pub fn into_inner(self) -> W {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralises_cells_a_spreadsheet_would_run() {
        for (cell, expected) in [
            ("=1+1", "'=1+1"),
            ("+1", "'+1"),
            ("-2", "'-2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("", ""),
            ("Ice cream", "Ice cream"),
            ("a=b", "a=b"),
            ("'=x", "'=x"),
            ("{\"entity_name\":\"=x\"}", "{\"entity_name\":\"=x\"}"),
        ] {
            assert_eq!(neutralise(cell), expected, "{cell:?}");
        }
    }

    #[test]
    fn file_names_carry_the_utc_date_and_extension() {
        let now = Timestamp::parse("2026-02-09T23:59:59.999-05:00").unwrap();
        assert_eq!(ExportFormat::Csv.file_name(now), "tracking-2026-02-10.csv");
        assert_eq!(
            ExportFormat::Ndjson.file_name(now),
            "tracking-2026-02-10.ndjson"
        );
    }

    #[test]
    fn export_query_needs_a_format_and_takes_no_page() {
        let parse = |pairs: &[(&str, &str)]| {
            ExportQuery::from_pairs(pairs.iter().copied(), QueryScope::Admin)
        };
        let query = parse(&[("action", "redeemed"), ("format", "csv"), ("order", "desc")]).unwrap();
        assert_eq!(query.format, ExportFormat::Csv);
        assert_eq!(query.filters.action, Some(crate::Action::Redeemed));
        assert_eq!(query.filters.order(), crate::SortOrder::Desc);
        for (pairs, field) in [
            (&[][..], "format"),
            (&[("format", "xlsx")][..], "format"),
            (&[("format", "csv"), ("format", "csv")][..], "format"),
            (&[("format", "csv"), ("limit", "5")][..], "limit"),
            (&[("format", "csv"), ("offset", "0")][..], "offset"),
            (&[("format", "csv"), ("colour", "red")][..], "colour"),
        ] {
            assert_eq!(parse(pairs).unwrap_err().field, field, "{pairs:?}");
        }
        let child_route = ExportQuery::from_pairs(
            [
                ("format", "ndjson"),
                ("user_id", "01JKZ8M1C2D3E4F5G6H7J8K9MN"),
            ],
            QueryScope::Child,
        );
        assert_eq!(child_route.unwrap_err().field, "user_id");
    }
}
