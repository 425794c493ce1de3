//! Recording a session as an asciicast v2 file, which `asciinema play`
//! replays: a header line (a JSON object with version 2, width, height,
//! timestamp) and then one JSON array per event, `[seconds, "o", text]`
//! for output and `[seconds, "r", "COLSxROWS"]` for a resize.
//!
//! Output arrives in arbitrary chunks; a UTF-8 sequence cut at a chunk's
//! end is kept until the next one, so every event is whole text. Each
//! event is written at once (no buffering): a recording stays readable
//! whatever happens to the console.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::json;

/// A recording in progress.
pub struct Recorder {
    file: File,
    path: PathBuf,
    start: Instant,
    /// The start of a UTF-8 sequence cut at the end of the last chunk.
    carry: Vec<u8>,
}

impl Recorder {
    /// Creates `path` (replacing it) and writes the header for a terminal
    /// of `cols` x `rows`.
    pub fn create(path: &Path, cols: u16, rows: u16, title: &str) -> std::io::Result<Recorder> {
        let mut file = File::create(path)?;
        let timestamp =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs();
        let term = std::env::var("TERM").unwrap_or_else(|_| "xterm".into());
        let header = json!({
            "version": 2,
            "width": cols,
            "height": rows,
            "timestamp": timestamp,
            "title": title,
            "env": { "TERM": term, "SHELL": "/bin/sh" },
        });
        writeln!(file, "{header}")?;
        Ok(Recorder { file, path: path.to_path_buf(), start: Instant::now(), carry: Vec::new() })
    }

    /// Where it is written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn event(&mut self, kind: &str, data: &str) {
        let t = (self.start.elapsed().as_secs_f64() * 1e6).round() / 1e6;
        let line = format!("{}\n", json!([t, kind, data]));
        // A full disk must not stop the session: the recording just ends short.
        let _ = self.file.write_all(line.as_bytes());
    }

    /// Records output bytes.
    pub fn output(&mut self, bytes: &[u8]) {
        let mut buf = std::mem::take(&mut self.carry);
        buf.extend_from_slice(bytes);
        let mut text = String::new();
        let mut rest: &[u8] = &buf;
        loop {
            match std::str::from_utf8(rest) {
                Ok(s) => {
                    text.push_str(s);
                    break;
                }
                Err(e) => {
                    let (good, bad) = rest.split_at(e.valid_up_to());
                    text.push_str(std::str::from_utf8(good).unwrap_or_default()); // valid: checked above
                    match e.error_len() {
                        // Cut at the end: keep it for the next chunk.
                        None => {
                            self.carry = bad.to_vec();
                            break;
                        }
                        Some(n) => {
                            text.push('\u{fffd}');
                            rest = &bad[n..];
                        }
                    }
                }
            }
        }
        if !text.is_empty() {
            self.event("o", &text);
        }
    }

    /// Records a change of the terminal's size.
    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.event("r", &format!("{cols}x{rows}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_events() {
        let path = std::env::temp_dir().join(format!("husk-cast-unit-{}.cast", std::process::id()));
        let mut r = Recorder::create(&path, 80, 24, "t").unwrap();
        r.output(b"hello \xc3");
        r.output(b"\xa9 \xff!");
        r.resize(100, 30);
        drop(r);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines[0]["version"], 2);
        assert_eq!(lines[0]["width"], 80);
        assert_eq!(lines[0]["height"], 24);
        assert!(lines[0]["timestamp"].as_u64().unwrap() > 1_600_000_000);
        assert_eq!(lines[1][1], "o");
        assert_eq!(lines[1][2], "hello ");
        assert_eq!(lines[2][2], "\u{e9} \u{fffd}!");
        assert_eq!(lines[3][1], "r");
        assert_eq!(lines[3][2], "100x30");
        assert!(lines[3][0].as_f64().unwrap() >= lines[1][0].as_f64().unwrap());
        let _ = std::fs::remove_file(path);
    }
}
