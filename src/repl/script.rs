//! Non-interactive mode: `husk console --script FILE`, or commands on
//! stdin when stdin is not a terminal (`-` as the file). One command per
//! line, `#` comments. An error prints one line naming the script line
//! and the script goes on; with `--strict` it stops there and the console
//! exits 1. At the end (or `exit`) the sandboxes the script started are
//! destroyed, unless `--keep` (or `exit --keep`).

use std::io::BufRead;
use std::path::Path;
use std::sync::atomic::Ordering;

use super::{Console, ConsoleArgs, Flow};

/// Runs the script at `path` (`-`: stdin); returns the exit code.
pub fn run(c: &mut Console, path: &Path, a: &ConsoleArgs) -> i32 {
    let (name, reader): (String, Box<dyn BufRead>) = if path == Path::new("-") {
        ("stdin".into(), Box::new(std::io::stdin().lock()))
    } else {
        match std::fs::File::open(path) {
            Ok(f) => (path.display().to_string(), Box::new(std::io::BufReader::new(f))),
            Err(e) => {
                eprintln!("husk: {}: {e}", path.display());
                return 2;
            }
        }
    };
    let mut keep = a.keep;
    let mut code = 0;
    for (n, line) in reader.lines().enumerate() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                eprintln!("husk: {name}: {e}");
                code = 1;
                break;
            }
        };
        if a.echo && !line.trim().is_empty() && !line.trim_start().starts_with('#') {
            println!("husk> {line}");
        }
        match c.execute(&line) {
            Ok(Flow::Continue) => {}
            Ok(Flow::Exit { keep: k }) => {
                keep |= k;
                break;
            }
            Err(e) => {
                eprintln!("{}", c.style.error(&format!("{name}:{}: {e:#}", n + 1)));
                if a.strict {
                    code = 1;
                    break;
                }
            }
        }
        // Ctrl-C between commands stops the script.
        if c.interrupted.swap(false, Ordering::SeqCst) {
            code = 130;
            break;
        }
    }
    c.finish(keep);
    code
}
