//! Aligned tables: columns as wide as their widest cell, the last column
//! left ragged, colour applied after padding so escape codes never shift
//! the alignment.

use super::output::{Color, Style};

/// Which side a column's cells align to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// One cell: its text and an optional colour.
#[derive(Clone, Debug)]
pub struct Cell {
    pub text: String,
    pub color: Option<Color>,
}

impl<T: Into<String>> From<T> for Cell {
    fn from(t: T) -> Cell {
        Cell { text: t.into(), color: None }
    }
}

/// A cell in colour `c`.
pub fn colored(text: impl Into<String>, c: Color) -> Cell {
    Cell { text: text.into(), color: Some(c) }
}

/// A table being built.
pub struct Table {
    headers: Vec<(String, Align)>,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    /// A table with these columns.
    pub fn new(headers: &[(&str, Align)]) -> Table {
        Table { headers: headers.iter().map(|(h, a)| (h.to_string(), *a)).collect(), rows: Vec::new() }
    }

    /// Adds a row (missing cells are empty).
    pub fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }

    /// The table as text, one line per row, header first.
    pub fn render(&self, style: &Style) -> String {
        let n = self.headers.len();
        let width = |s: &str| s.chars().count();
        let mut widths: Vec<usize> = self.headers.iter().map(|(h, _)| width(h)).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate().take(n) {
                widths[i] = widths[i].max(width(&c.text));
            }
        }
        let mut out = String::new();
        let header: Vec<Cell> = self.headers.iter().map(|(h, _)| colored(h.clone(), Color::Bold)).collect();
        for r in std::iter::once(&header).chain(self.rows.iter()) {
            let mut line = String::new();
            for (i, w) in widths.iter().enumerate() {
                let empty = Cell::from("");
                let c = r.get(i).unwrap_or(&empty);
                let pad = w - width(&c.text).min(*w);
                let text = match c.color {
                    Some(col) => style.paint(&c.text, col),
                    None => c.text.clone(),
                };
                let last = i + 1 == n;
                match self.headers[i].1 {
                    Align::Right => {
                        line.push_str(&" ".repeat(pad));
                        line.push_str(&text);
                    }
                    Align::Left => {
                        line.push_str(&text);
                        if !last {
                            line.push_str(&" ".repeat(pad));
                        }
                    }
                }
                if !last {
                    line.push_str("  ");
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_columns() {
        let mut t = Table::new(&[("ID", Align::Left), ("PID", Align::Right), ("CMD", Align::Left)]);
        t.row(vec!["a".into(), "1".into(), "sh".into()]);
        t.row(vec!["long-id".into(), "1234".into(), colored("bash -i", Color::Green)]);
        let text = t.render(&Style { color: false });
        assert_eq!(text, "ID        PID  CMD\na           1  sh\nlong-id  1234  bash -i\n");
        let coloured = t.render(&Style { color: true });
        assert!(coloured.contains("\x1b[32mbash -i\x1b[0m"));
    }
}
