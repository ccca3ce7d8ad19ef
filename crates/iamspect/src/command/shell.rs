//! `iamspect completions SHELL` and `iamspect man`: shell completions and man pages generated
//! from the same argument definitions the binary parses (clap's generators), so they never
//! disagree with `--help`.

use std::path::PathBuf;

use super::{BAD_INPUT, SUCCESS};

#[derive(clap::Args)]
pub(crate) struct CompletionsArgs {
    /// The shell: bash, zsh, fish, powershell or elvish.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(clap::Args)]
pub(crate) struct ManArgs {
    /// A subcommand's page (`explain`, `who-can`, ...); the main page without one.
    subcommand: Option<String>,
    /// Write every page (`iamspect.1`, `iamspect-explain.1`, ...) into this folder instead.
    #[arg(long, value_name = "DIR", conflicts_with = "subcommand")]
    out: Option<PathBuf>,
}

pub(crate) fn completions(args: &CompletionsArgs, mut cmd: clap::Command) -> u8 {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "iamspect", &mut out);
    crate::output::print(&String::from_utf8_lossy(&out));
    SUCCESS
}

/// The roff text of `cmd`'s page.
fn render(cmd: clap::Command) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

pub(crate) fn man(args: &ManArgs, cmd: clap::Command) -> u8 {
    let result = (|| -> Result<(), String> {
        let mut cmd = cmd;
        cmd.build();
        if let Some(dir) = &args.out {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            let mut pages = vec![("iamspect".to_string(), cmd.clone())];
            for sub in cmd.get_subcommands() {
                let name = format!("iamspect-{}", sub.get_name());
                pages.push((name.clone(), sub.clone().name(name)));
            }
            for (name, page) in pages {
                let path = dir.join(format!("{name}.1"));
                std::fs::write(&path, render(page)?).map_err(|e| format!("{}: {e}", path.display()))?;
                eprintln!("wrote {}", path.display());
            }
            return Ok(());
        }
        let page = match &args.subcommand {
            None => cmd,
            Some(name) => {
                let sub = cmd.find_subcommand(name).cloned().ok_or_else(|| {
                    let names: Vec<&str> = cmd.get_subcommands().map(clap::Command::get_name).collect();
                    format!("no subcommand `{name}`: one of {}", names.join(", "))
                })?;
                sub.name(format!("iamspect-{name}"))
            }
        };
        crate::output::print(&String::from_utf8_lossy(&render(page)?));
        Ok(())
    })();
    match result {
        Ok(()) => SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            BAD_INPUT
        }
    }
}
