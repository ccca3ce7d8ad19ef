//! Rendering decisions for people; the JSON shapes live in `iamspect_explain::wire`.

pub(crate) mod audit_sarif;
pub(crate) mod explain;
pub(crate) mod github;
pub(crate) mod lint_json;
pub(crate) mod lint_text;
pub(crate) mod sarif;
pub(crate) mod text;

use std::io::Write as _;

/// Writes to standard output; a closed pipe (`| head`) ends the program quietly with success, as
/// ripgrep does, instead of panicking like `println!`.
pub(crate) fn print(text: &str) {
    let mut out = anstream::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write output: {e}");
        std::process::exit(2);
    }
}

/// [`print`] with a newline.
pub(crate) fn println(text: &str) {
    print(&format!("{text}\n"));
}
