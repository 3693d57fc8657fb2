//! Reading an uploaded file: CSV with a header row, or a JSON array of flat objects.
//!
//! The file is checked whole when it is uploaded ([`inspect`]), so a worker reading it
//! later ([`Rows`]) meets only problems of single rows. Rows are numbered as a
//! spreadsheet shows them: the header is line 1, the first row line 2, and a quoted cell
//! spanning lines is still one line. Reading is synchronous and a large file takes a
//! while: callers run it on a blocking thread.

use msgbuddy_domain::contact_import::{MAX_IMPORT_BYTES, MAX_IMPORT_ROWS, PREVIEW_ROWS};
use serde_json::Value as Json;
use std::io::Cursor;

/// The most columns a file may have.
pub const MAX_COLUMNS: usize = 200;
/// The longest column name kept.
const MAX_HEADER_CHARS: usize = 100;

/// How the file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Json => "json",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "csv" => Some(Self::Csv),
            "json" => Some(Self::Json),
            _ => None,
        }
    }
}

/// One data row.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRow {
    /// The line a spreadsheet shows it on.
    pub line: i64,
    /// One cell per header, in the header's order.
    pub cells: Vec<String>,
    /// The row as the file wrote it, for the error report.
    pub raw: String,
    /// Why the row cannot be read at all (too many cells, a nested JSON value).
    pub problem: Option<String>,
}

/// A file as an upload finds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspected {
    pub format: Format,
    /// The text, without a byte order mark.
    pub text: String,
    pub headers: Vec<String>,
    pub total_rows: i64,
    pub preview: Vec<Vec<String>>,
}

/// The file as text, or why it is not an importable one.
pub fn text_of(bytes: &[u8]) -> Result<&str, String> {
    if bytes.len() > MAX_IMPORT_BYTES {
        return Err(format!(
            "The file is larger than {} MB; split it into smaller files.",
            MAX_IMPORT_BYTES / (1024 * 1024)
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| {
        "This is not a text file in UTF-8: save it as CSV (UTF-8) or JSON and upload it again."
            .to_owned()
    })?;
    // Text never holds NUL; a file that does is a binary with a lucky prefix.
    if text.contains('\0') {
        return Err(
            "This is a binary file, not CSV or JSON: save it as CSV (UTF-8) or JSON.".to_owned(),
        );
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err("The file is empty.".to_owned());
    }
    Ok(text)
}

/// JSON when the first visible character opens a list, CSV otherwise.
pub fn detect(text: &str) -> Format {
    if text.trim_start().starts_with('[') {
        Format::Json
    } else {
        Format::Csv
    }
}

/// Reads the whole file once: its headers, its number of rows, its first rows. Any
/// problem of the file as a whole is refused here, with where it is.
pub fn inspect(bytes: &[u8]) -> Result<Inspected, String> {
    let text = text_of(bytes)?.to_owned();
    let format = detect(&text);
    let headers = match format {
        Format::Csv => csv_headers(&text)?,
        Format::Json => json_headers(&text)?,
    };
    let mut rows = Rows::open(text, format, &headers)?;
    let mut preview = Vec::new();
    let mut total: i64 = 0;
    while let Some(row) = rows.next_row()? {
        total += 1;
        if total > MAX_IMPORT_ROWS {
            return Err(format!(
                "The file has more than {MAX_IMPORT_ROWS} rows; split it into smaller files."
            ));
        }
        if preview.len() < PREVIEW_ROWS {
            preview.push(row.cells.iter().map(|c| preview_cell(c)).collect());
        }
    }
    if total == 0 {
        return Err("The file has no rows under its header.".to_owned());
    }
    Ok(Inspected {
        format,
        text: rows.into_text(),
        headers,
        total_rows: total,
        preview,
    })
}

/// The most of a cell the preview shows.
const MAX_PREVIEW_CHARS: usize = 200;

fn preview_cell(cell: &str) -> String {
    if cell.chars().count() <= MAX_PREVIEW_CHARS {
        return cell.to_owned();
    }
    let mut short: String = cell.chars().take(MAX_PREVIEW_CHARS - 1).collect();
    short.push('…');
    short
}

/// The column names of the first line, tidied: trimmed, bounded, and named when blank.
fn tidy_headers(raw: impl Iterator<Item = String>) -> Result<Vec<String>, String> {
    let headers: Vec<String> = raw
        .enumerate()
        .map(|(i, h)| {
            let h: String = h
                .trim()
                .chars()
                .filter(|c| !c.is_control())
                .take(MAX_HEADER_CHARS)
                .collect();
            if h.is_empty() {
                format!("Column {}", i + 1)
            } else {
                h
            }
        })
        .collect();
    if headers.len() > MAX_COLUMNS {
        return Err(format!(
            "The file has {} columns; at most {MAX_COLUMNS} can be imported.",
            headers.len()
        ));
    }
    Ok(headers)
}

/// `;` when the first line has more of them than commas (spreadsheets in much of Europe
/// save CSV so), `,` otherwise.
fn delimiter(text: &str) -> u8 {
    let first = text.lines().next().unwrap_or_default();
    let semicolons = first.matches(';').count();
    if semicolons > first.matches(',').count() {
        b';'
    } else {
        b','
    }
}

fn csv_reader<R: std::io::Read>(text: R, delimiter: u8) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text)
}

fn csv_headers(text: &str) -> Result<Vec<String>, String> {
    let mut reader = csv_reader(text.as_bytes(), delimiter(text));
    let mut record = csv::StringRecord::new();
    let found = reader.read_record(&mut record).map_err(|e| csv_error(&e))?;
    if !found {
        return Err("The file is empty.".to_owned());
    }
    tidy_headers(record.iter().map(str::to_owned))
}

fn csv_error(e: &csv::Error) -> String {
    match e.position() {
        Some(p) => format!("The CSV cannot be read at line {}: {e}", p.line()),
        None => format!("The CSV cannot be read: {e}"),
    }
}

/// Every key of every object, in the order they first appear.
fn json_headers(text: &str) -> Result<Vec<String>, String> {
    let mut elements = JsonElements::new(text)?;
    let mut keys: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    while let Some((value, _)) = elements.next_value(text)? {
        if let Element::Object(pairs) = value {
            for (key, _) in &pairs {
                if seen.insert(key.clone()) {
                    if keys.len() == MAX_COLUMNS {
                        return Err(format!(
                            "The objects have more than {MAX_COLUMNS} different keys; at most {MAX_COLUMNS} columns can be imported."
                        ));
                    }
                    keys.push(key.clone());
                }
            }
        }
    }
    if keys.is_empty() {
        return Err(
            "The JSON has no objects with keys: give a list of objects like [{\"name\": \"Ana\", \"phone\": \"+44 7911 123456\"}]."
                .to_owned(),
        );
    }
    Ok(keys)
}

/// The data rows of a file, in order.
pub struct Rows {
    inner: Inner,
    columns: usize,
}

enum Inner {
    Csv {
        reader: csv::Reader<Cursor<Vec<u8>>>,
        record: csv::StringRecord,
        /// Line breaks inside quoted cells so far: the file has them, a spreadsheet not.
        embedded_breaks: i64,
        lines: LineCounter,
    },
    Json {
        text: String,
        elements: JsonElements,
        /// JSON keys are matched to columns exactly as the upload found them.
        keys: Vec<String>,
        index: i64,
    },
}

impl Rows {
    /// Opens `text` (as [`text_of`] gives it) past its header; `headers` are the file's
    /// as [`inspect`] found them.
    pub fn open(text: String, format: Format, headers: &[String]) -> Result<Rows, String> {
        let inner = match format {
            Format::Csv => {
                let delimiter = delimiter(&text);
                let mut reader = csv_reader(Cursor::new(text.into_bytes()), delimiter);
                let mut record = csv::StringRecord::new();
                reader.read_record(&mut record).map_err(|e| csv_error(&e))?;
                let embedded_breaks = breaks_in(&record);
                Inner::Csv {
                    reader,
                    record,
                    embedded_breaks,
                    lines: LineCounter::default(),
                }
            }
            Format::Json => Inner::Json {
                elements: JsonElements::new(&text)?,
                text,
                keys: headers.to_vec(),
                index: 0,
            },
        };
        Ok(Rows {
            inner,
            columns: headers.len(),
        })
    }

    /// The next row, `None` at the end; an error when the file itself is broken there.
    pub fn next_row(&mut self) -> Result<Option<RawRow>, String> {
        let columns = self.columns;
        match &mut self.inner {
            Inner::Csv {
                reader,
                record,
                embedded_breaks,
                lines,
            } => {
                if !reader.read_record(record).map_err(|e| csv_error(&e))? {
                    return Ok(None);
                }
                let bytes = reader.get_ref().get_ref();
                let start = record_start(bytes, record.position().map_or(0, csv::Position::byte));
                let end = usize::try_from(reader.position().byte()).unwrap_or(usize::MAX);
                lines.advance(bytes, start);
                let line = lines.breaks_before + 1 - *embedded_breaks;
                *embedded_breaks += breaks_in(record);
                let raw = raw_slice(bytes, start, end);
                Ok(Some(csv_row(record, columns, line, raw)))
            }
            Inner::Json {
                text,
                elements,
                keys,
                index,
            } => {
                let Some((value, raw)) = elements.next_value(text)? else {
                    return Ok(None);
                };
                *index += 1;
                Ok(Some(json_row(value, keys, *index + 1, raw)))
            }
        }
    }

    /// Passes over `count` rows (those committed before).
    pub fn skip(&mut self, count: i64) -> Result<(), String> {
        for _ in 0..count {
            if self.next_row()?.is_none() {
                break;
            }
        }
        Ok(())
    }

    /// Up to `count` next rows.
    pub fn take(&mut self, count: usize) -> Result<Vec<RawRow>, String> {
        let mut out = Vec::with_capacity(count.min(4096));
        while out.len() < count {
            match self.next_row()? {
                Some(row) => out.push(row),
                None => break,
            }
        }
        Ok(out)
    }

    fn into_text(self) -> String {
        match self.inner {
            Inner::Csv { reader, .. } => {
                String::from_utf8(reader.into_inner().into_inner()).unwrap_or_default()
            }
            Inner::Json { text, .. } => text,
        }
    }
}

fn breaks_in(record: &csv::StringRecord) -> i64 {
    let count = record
        .iter()
        .map(|cell| cell.matches('\n').count())
        .sum::<usize>();
    i64::try_from(count).unwrap_or(i64::MAX)
}

/// Line breaks in the file before a byte, counted as the reader moves on.
#[derive(Debug, Default)]
struct LineCounter {
    counted_to: usize,
    breaks_before: i64,
}

impl LineCounter {
    fn advance(&mut self, bytes: &[u8], to: usize) {
        let seen = bytes.get(self.counted_to..to).unwrap_or_default();
        let breaks = seen.iter().filter(|b| **b == b'\n').count();
        self.breaks_before += i64::try_from(breaks).unwrap_or(i64::MAX);
        self.counted_to = to.max(self.counted_to);
    }
}

/// Where a record's text begins: the reader may place it on the line ending before it.
fn record_start(bytes: &[u8], position: u64) -> usize {
    let mut start = usize::try_from(position).unwrap_or(usize::MAX);
    while bytes.get(start).is_some_and(|b| *b == b'\r' || *b == b'\n') {
        start += 1;
    }
    start
}

/// The record's own text, without its line ending.
fn raw_slice(bytes: &[u8], start: usize, end: usize) -> String {
    let slice = bytes.get(start..end.min(bytes.len())).unwrap_or_default();
    String::from_utf8_lossy(slice)
        .trim_end_matches(['\r', '\n'])
        .to_owned()
}

fn csv_row(record: &csv::StringRecord, columns: usize, line: i64, raw: String) -> RawRow {
    let mut cells: Vec<String> = record.iter().take(columns).map(str::to_owned).collect();
    let extra = record
        .iter()
        .skip(columns)
        .any(|cell| !cell.trim().is_empty());
    let problem = extra.then(|| {
        format!(
            "This row has {} cells but the header names {columns} columns.",
            record.len()
        )
    });
    cells.resize(columns, String::new());
    RawRow {
        line,
        cells,
        raw,
        problem,
    }
}

fn json_row(value: Element, keys: &[String], line: i64, raw: String) -> RawRow {
    let mut cells = vec![String::new(); keys.len()];
    let mut problem = None;
    match value {
        Element::Object(pairs) => {
            for (key, value) in pairs {
                let Some(column) = keys.iter().position(|k| *k == key) else {
                    problem = Some(format!("“{key}” is not a column of this import."));
                    continue;
                };
                let (text, nested) = json_cell(value);
                if nested && problem.is_none() {
                    problem = Some(format!(
                        "{key}: a list or an object cannot be imported; give text, a number or true/false."
                    ));
                }
                if let Some(cell) = cells.get_mut(column) {
                    *cell = text;
                }
            }
        }
        Element::Other => {
            problem = Some(
                "This entry is not an object of column names and values, like {\"name\": \"Ana\"}."
                    .to_owned(),
            );
        }
    }
    RawRow {
        line,
        cells,
        raw,
        problem,
    }
}

/// A JSON value as a cell's text, and whether it is nested (and so refused).
fn json_cell(value: Json) -> (String, bool) {
    match value {
        Json::Null => (String::new(), false),
        Json::String(s) => (s, false),
        Json::Bool(b) => (b.to_string(), false),
        Json::Number(n) => (n.to_string(), false),
        nested @ (Json::Array(_) | Json::Object(_)) => (nested.to_string(), true),
    }
}

/// An element of the list: an object with its keys in the file's order (a map would
/// sort them, and the columns would not be the file's), or anything else.
enum Element {
    Object(Vec<(String, Json)>),
    Other,
}

impl<'de> serde::Deserialize<'de> for Element {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ElementVisitor)
    }
}

struct ElementVisitor;

impl<'de> serde::de::Visitor<'de> for ElementVisitor {
    type Value = Element;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Element, A::Error> {
        let mut pairs = Vec::new();
        while let Some(pair) = map.next_entry::<String, Json>()? {
            pairs.push(pair);
        }
        Ok(Element::Object(pairs))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Element, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(Element::Other)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Element, E> {
        Ok(Element::Other)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Element, E> {
        Ok(Element::Other)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Element, E> {
        Ok(Element::Other)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Element, E> {
        Ok(Element::Other)
    }
    fn visit_str<E>(self, _: &str) -> Result<Element, E> {
        Ok(Element::Other)
    }
    fn visit_unit<E>(self) -> Result<Element, E> {
        Ok(Element::Other)
    }
}

/// The elements of a JSON list, one at a time, so a large file is never held as one
/// parsed tree.
struct JsonElements {
    /// Where the next element (or the separator before it) starts.
    pos: usize,
    first: bool,
    done: bool,
}

impl JsonElements {
    fn new(text: &str) -> Result<Self, String> {
        let pos = skip_space(text.as_bytes(), 0);
        if text.as_bytes().get(pos) != Some(&b'[') {
            return Err("A JSON file must be a list of objects, starting with [.".to_owned());
        }
        Ok(Self {
            pos: pos + 1,
            first: true,
            done: false,
        })
    }

    /// The next element and its text.
    fn next_value(&mut self, text: &str) -> Result<Option<(Element, String)>, String> {
        if self.done {
            return Ok(None);
        }
        let bytes = text.as_bytes();
        let mut pos = skip_space(bytes, self.pos);
        match bytes.get(pos) {
            None => return Err(broken(text, pos, "the list is not closed with ]")),
            Some(b']') => return self.finish(text, pos + 1),
            Some(b',') if !self.first => pos = skip_space(bytes, pos + 1),
            Some(_) if self.first => {}
            Some(_) => return Err(broken(text, pos, "expected , or ] after an entry")),
        }
        if bytes.get(pos) == Some(&b']') {
            return Err(broken(text, pos, "a comma before ] is not allowed"));
        }
        let rest = text.get(pos..).unwrap_or_default();
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<Element>();
        let value = match stream.next() {
            Some(Ok(value)) => value,
            Some(Err(e)) => {
                // serde_json counts from the element's start; people count from the file's.
                let line = line_at(text, pos) + e.line().saturating_sub(1);
                let message = e.to_string();
                let what = message
                    .rsplit_once(" at line ")
                    .map_or(message.as_str(), |(w, _)| w);
                return Err(format!("The JSON cannot be read at line {line}: {what}."));
            }
            None => return Err(broken(text, pos, "the list is not closed with ]")),
        };
        let end = pos + stream.byte_offset();
        let raw = text.get(pos..end).unwrap_or_default().to_owned();
        self.pos = end;
        self.first = false;
        Ok(Some((value, raw)))
    }

    fn finish(&mut self, text: &str, after: usize) -> Result<Option<(Element, String)>, String> {
        self.done = true;
        let bytes = text.as_bytes();
        let end = skip_space(bytes, after);
        if end < bytes.len() {
            return Err(broken(
                text,
                end,
                "there is more after the list's closing ]",
            ));
        }
        Ok(None)
    }
}

fn skip_space(bytes: &[u8], mut pos: usize) -> usize {
    while bytes.get(pos).is_some_and(u8::is_ascii_whitespace) {
        pos += 1;
    }
    pos
}

/// A message saying where the JSON broke, in the lines an editor shows.
fn broken(text: &str, pos: usize, what: &str) -> String {
    format!(
        "The JSON cannot be read at line {}: {what}.",
        line_at(text, pos)
    )
}

fn line_at(text: &str, pos: usize) -> usize {
    text.get(..pos).unwrap_or(text).matches('\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> (Vec<String>, Vec<RawRow>) {
        let found = inspect(text.as_bytes()).expect("readable");
        let mut rows = Rows::open(found.text.clone(), found.format, &found.headers).expect("open");
        let all = rows.take(usize::MAX >> 1).expect("rows");
        assert_eq!(i64::try_from(all.len()).expect("len"), found.total_rows);
        (found.headers, all)
    }

    fn refused(bytes: &[u8]) -> String {
        match inspect(bytes) {
            Ok(found) => panic!("accepted: {:?}", found.headers),
            Err(e) => e,
        }
    }

    #[test]
    fn csv_with_a_bom_quotes_and_crlf() {
        let (headers, all) = rows(
            "\u{feff}Name,Phone, Email \r\n\"Rao, Asha\",+91 98765 43210,asha@example.com\r\n\"Say \"\"hi\"\"\",,x@example.com\r\n",
        );
        assert_eq!(headers, ["Name", "Phone", "Email"]);
        assert_eq!(
            all[0].cells,
            ["Rao, Asha", "+91 98765 43210", "asha@example.com"]
        );
        assert_eq!(all[1].cells, ["Say \"hi\"", "", "x@example.com"]);
        assert_eq!(all[0].raw, "\"Rao, Asha\",+91 98765 43210,asha@example.com");
        assert_eq!((all[0].line, all[1].line), (2, 3));
    }

    #[test]
    fn semicolons_separate_when_the_header_has_more_of_them() {
        let (headers, all) = rows("name;phone;note\nAna;+44 7911 123456;a, b\n");
        assert_eq!(headers, ["name", "phone", "note"]);
        assert_eq!(all[0].cells, ["Ana", "+44 7911 123456", "a, b"]);
        let (headers, _) = rows("name,phone;x,note\nAna,1,2\n");
        assert_eq!(headers, ["name", "phone;x", "note"]);
    }

    #[test]
    fn lines_are_what_a_spreadsheet_shows() {
        let text = "name,note\nAna,\"two\nlines\"\nBo,x\n\nCy,\"a\r\nb\r\nc\"\nDi,y";
        let (_, all) = rows(text);
        let lines: Vec<i64> = all.iter().map(|r| r.line).collect();
        // The blank line is a row a spreadsheet shows (empty); the quoted breaks are not.
        assert_eq!(lines, [2, 3, 5, 6]);
        assert_eq!(all[0].cells[1], "two\nlines");
        assert_eq!(all[0].raw, "Ana,\"two\nlines\"");
        assert_eq!(all[3].raw, "Di,y");
        let (_, all) = rows("name,note\n\"multi\nline\nheader\",x\nAna,y\n");
        assert_eq!(all[1].line, 3);
    }

    #[test]
    fn short_rows_are_padded_and_long_ones_refused() {
        let (_, all) = rows("a,b,c\n1\n1,2,3,,\n1,2,3,4\n");
        assert_eq!(all[0].cells, ["1", "", ""]);
        assert_eq!(all[0].problem, None);
        assert_eq!(all[1].problem, None, "trailing empty cells are harmless");
        assert_eq!(
            all[2].problem.as_deref(),
            Some("This row has 4 cells but the header names 3 columns.")
        );
    }

    #[test]
    fn blank_headers_are_named_by_position() {
        let (headers, _) = rows("name,,phone\nA,b,c\n");
        assert_eq!(headers, ["name", "Column 2", "phone"]);
    }

    #[test]
    fn json_lists_of_flat_objects() {
        let text = "  [\n {\"name\": \"Ana\", \"phone\": \"+44 7911 123456\", \"age\": 34},\n {\"email\": \"b@example.com\", \"vip\": true, \"name\": null},\n {\"name\": \"C\", \"tags\": [\"a\"]},\n 7\n]\n";
        let (headers, all) = rows(text);
        assert_eq!(headers, ["name", "phone", "age", "email", "vip", "tags"]);
        assert_eq!(all[0].cells, ["Ana", "+44 7911 123456", "34", "", "", ""]);
        assert_eq!(all[1].cells, ["", "", "", "b@example.com", "true", ""]);
        assert_eq!(all[0].line, 2);
        assert_eq!(all[3].line, 5);
        assert_eq!(
            all[0].raw,
            "{\"name\": \"Ana\", \"phone\": \"+44 7911 123456\", \"age\": 34}"
        );
        assert!(
            all[2]
                .problem
                .as_deref()
                .is_some_and(|p| p.starts_with("tags:"))
        );
        assert!(all[3].problem.is_some(), "not an object");
        assert_eq!(all[1].problem, None);
    }

    #[test]
    fn broken_json_is_refused_with_where() {
        assert_eq!(
            refused(b"[{\"name\": \"A\"},\n{\"name\": }]"),
            "The JSON cannot be read at line 2: expected value."
        );
        assert!(refused(b"[{\"name\": \"A\"}").contains("not closed"));
        assert!(refused(b"[{\"name\": \"A\"},]").contains("comma before ]"));
        assert!(refused(b"[{\"name\": \"A\"}] x").contains("more after"));
        assert!(refused(b"[{\"name\": \"A\"} {\"name\": \"B\"}]").contains("expected , or ]"));
        assert!(refused(b"[]").contains("no objects"));
        assert!(refused(b"[1, 2]").contains("no objects"));
    }

    #[test]
    fn binary_empty_and_headless_files_are_refused() {
        assert!(refused(b"\x89PNG\r\n\x1a\n\0\0").contains("not a text file"));
        assert!(refused(b"name\0,phone\nA,B").contains("binary"));
        assert_eq!(refused(b""), "The file is empty.");
        assert_eq!(refused(b"\xef\xbb\xbf \n "), "The file is empty.");
        assert_eq!(
            refused(b"name,phone\n"),
            "The file has no rows under its header."
        );
        let wide = (0..=MAX_COLUMNS)
            .map(|i| format!("c{i}"))
            .collect::<Vec<_>>()
            .join(",");
        assert!(refused(format!("{wide}\n1").as_bytes()).contains("columns"));
    }

    #[test]
    fn the_format_is_told_by_content() {
        assert_eq!(detect(" \n[{}]"), Format::Json);
        assert_eq!(detect("name,phone"), Format::Csv);
        assert_eq!(
            detect("[name],phone"),
            Format::Json,
            "then refused as broken JSON"
        );
    }

    #[test]
    fn skipping_resumes_at_the_same_row() {
        let text = "name\nA\n\"B\nB\"\nC\nD\n";
        let found = inspect(text.as_bytes()).expect("readable");
        let mut rows = Rows::open(found.text, found.format, &found.headers).expect("open");
        rows.skip(2).expect("skip");
        let rest = rows.take(10).expect("rest");
        assert_eq!(rest[0].cells, ["C"]);
        assert_eq!(rest[0].line, 4);
        assert_eq!(rest.len(), 2);
    }

    #[test]
    fn the_preview_is_the_first_five_rows() {
        let text = format!(
            "n\n{}",
            (1..=9).map(|i| format!("r{i}\n")).collect::<String>()
        );
        let found = inspect(text.as_bytes()).expect("readable");
        assert_eq!(found.total_rows, 9);
        assert_eq!(found.preview.len(), 5);
        assert_eq!(found.preview[4], ["r5"]);
        let long = format!("n\n{}\n", "x".repeat(1000));
        let found = inspect(long.as_bytes()).expect("readable");
        assert_eq!(
            found.preview[0][0].chars().count(),
            200,
            "a preview cell is kept short"
        );
    }
}
