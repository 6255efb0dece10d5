//! `fanxing compliance …`: the checker on files and pipes, without a
//! database, and the scorer over a labelled corpus.

use std::io::{BufRead, Read, Write};
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Subcommand;
use serde::{Deserialize, Serialize};

use fanxing_core::compliance::score::{parse_corpus, score, score_plain, Split};
use fanxing_core::compliance::service::text_problem;
use fanxing_core::compliance::{Kind, Matcher, Report, MAX_CHARS};
use fanxing_core::Lang;

#[derive(Subcommand)]
pub enum Command {
    /// Check a live script or product titles; prints the findings as JSON
    /// (the API's shape).
    Check {
        /// The file to read (`-` or nothing: standard input).
        file: Option<PathBuf>,
        /// `script` (default) or `title`.
        #[arg(long, default_value = "script")]
        kind: String,
        /// One text per line: a JSON object `{"id": …, "text": …, "kind": …}`
        /// or plain text; prints one JSON object per line.
        #[arg(long)]
        jsonl: bool,
        /// Language of the explanations: `zh` (default) or `en`.
        #[arg(long, default_value = "zh")]
        lang: String,
    },
    /// Score the rules on a labelled corpus (JSON Lines): precision,
    /// recall and F1 per category, false alarms on lawful texts, recall on
    /// disguised terms; the tune and held-out splits apart.
    Score {
        /// The corpus (default: tests/compliance/corpus.jsonl).
        #[arg(default_value = "tests/compliance/corpus.jsonl")]
        corpus: PathBuf,
        /// Also list the tune split's misses and false alarms.
        #[arg(long)]
        misses: bool,
    },
}

fn lang(raw: &str) -> anyhow::Result<Lang> {
    match raw {
        "zh" => Ok(Lang::Zh),
        "en" => Ok(Lang::En),
        other => bail!("--lang must be zh or en, not {other:?}"),
    }
}

fn kind(raw: &str) -> anyhow::Result<Kind> {
    Kind::parse(raw).with_context(|| format!("--kind must be script or title, not {raw:?}"))
}

/// Opens the input: a file, or standard input for `-` or nothing.
fn input(file: &Option<PathBuf>) -> anyhow::Result<Box<dyn Read>> {
    match file {
        None => Ok(Box::new(std::io::stdin())),
        Some(p) if p.as_os_str() == "-" => Ok(Box::new(std::io::stdin())),
        Some(p) => Ok(Box::new(
            std::fs::File::open(p).with_context(|| format!("cannot read {}", p.display()))?,
        )),
    }
}

/// Bytes as text, or an error naming where the first invalid byte is.
fn utf8(bytes: Vec<u8>, what: &str) -> anyhow::Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{what} is not UTF-8 text: invalid byte at offset {} (save it as UTF-8)",
            e.utf8_error().valid_up_to()
        )
    })
}

#[derive(Deserialize)]
struct Line {
    id: Option<serde_json::Value>,
    text: String,
    kind: Option<String>,
}

#[derive(Serialize)]
struct LineOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a serde_json::Value>,
    #[serde(flatten)]
    report: &'a Report,
}

#[derive(Serialize)]
struct LineError<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a serde_json::Value>,
    line: usize,
    error: String,
}

pub fn run(cmd: Command) -> anyhow::Result<()> {
    match run_inner(cmd) {
        // A reader that stops early (`| head`) is not an error.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            Ok(())
        }
        other => other,
    }
}

fn run_inner(cmd: Command) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match cmd {
        Command::Check {
            file,
            kind: k,
            jsonl,
            lang: l,
        } => {
            let (kind, lang) = (kind(&k)?, lang(&l)?);
            let m = Matcher::builtin();
            let what = file
                .as_ref()
                .map_or("standard input".to_string(), |p| p.display().to_string());
            if jsonl {
                drop(out);
                return check_lines(m, input(&file)?, kind, lang, &what);
            }
            // A whole text: read no more than the longest text may be.
            let limit = (MAX_CHARS * 4 + 1) as u64;
            let mut bytes = Vec::new();
            input(&file)?
                .take(limit)
                .read_to_end(&mut bytes)
                .with_context(|| format!("cannot read {what}"))?;
            if bytes.len() as u64 >= limit {
                bail!("{what} is too long: one text may have {MAX_CHARS} characters; use --jsonl for one text per line");
            }
            let text = utf8(bytes, &what)?;
            if let Some(e) = text_problem(&text) {
                bail!("{what}: {}", e.message(lang));
            }
            let report = m.check(&text, kind, lang);
            writeln!(out, "{}", serde_json::to_string(&report)?)?;
            Ok(())
        }
        Command::Score { corpus, misses } => {
            let text = std::fs::read_to_string(&corpus)
                .with_context(|| format!("cannot read {}", corpus.display()))?;
            let cases =
                parse_corpus(&text).map_err(|e| anyhow::anyhow!("{}: {e}", corpus.display()))?;
            let m = Matcher::builtin();
            writeln!(out, "rules {}", m.version())?;
            let tune = score(m, &cases, Some(Split::Tune));
            write!(out, "{}", tune.table("tune"))?;
            write!(
                out,
                "{}",
                score(m, &cases, Some(Split::Heldout)).table("held out")
            )?;
            let plain = score_plain(m, &cases, Some(Split::Heldout));
            write!(
                out,
                "{}",
                plain.table("a plain word list (the same terms as written, no context), held out")
            )?;
            if misses {
                for miss in &tune.misses {
                    writeln!(out, "{} {}", miss.id, miss.text)?;
                    for (t, c) in &miss.missed {
                        writeln!(out, "  missed {t} ({})", c.as_str())?;
                    }
                    for (t, c, r) in &miss.false_alarms {
                        writeln!(out, "  false  {t} ({}, {r})", c.as_str())?;
                    }
                }
            }
            Ok(())
        }
    }
}

/// One text per line; a bad line is reported on its own output line and
/// the run ends with an error, after every good line is answered.
fn check_lines(
    m: &Matcher,
    input: Box<dyn Read>,
    kind: Kind,
    lang: Lang,
    what: &str,
) -> anyhow::Result<()> {
    let reader = std::io::BufReader::new(input);
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    let mut bad = 0usize;
    // Each line is bounded: a longer one is refused, never held whole.
    let max_line = MAX_CHARS * 4 + 64;
    for (i, line) in reader.split(b'\n').enumerate() {
        let n = i + 1;
        let raw = line.with_context(|| format!("cannot read {what}"))?;
        let fail = |out: &mut dyn Write, id: Option<&serde_json::Value>, error: String| {
            serde_json::to_writer(&mut *out, &LineError { id, line: n, error })?;
            writeln!(out)?;
            anyhow::Ok(())
        };
        if raw.len() > max_line {
            bad += 1;
            fail(
                &mut out,
                None,
                lang.t("compliance.too_long")
                    .replace("{max}", &MAX_CHARS.to_string())
                    .replace("{n}", &format!("> {MAX_CHARS}")),
            )?;
            continue;
        }
        let text = match String::from_utf8(raw) {
            Ok(t) => t,
            Err(e) => {
                bad += 1;
                let at = e.utf8_error().valid_up_to();
                fail(
                    &mut out,
                    None,
                    format!("not UTF-8: invalid byte at offset {at} of the line"),
                )?;
                continue;
            }
        };
        let text = text.trim_end_matches('\r');
        if text.trim().is_empty() {
            continue;
        }
        let parsed: Option<Line> = text
            .trim_start()
            .starts_with('{')
            .then(|| serde_json::from_str(text).ok())
            .flatten();
        let (id, body, k) = match &parsed {
            Some(l) => (l.id.as_ref(), l.text.as_str(), l.kind.as_deref()),
            None => (None, text, None),
        };
        let k = match k.map(Kind::parse) {
            None => kind,
            Some(Some(k)) => k,
            Some(None) => {
                bad += 1;
                fail(&mut out, id, lang.t("compliance.bad_kind").to_string())?;
                continue;
            }
        };
        if let Some(e) = text_problem(body) {
            bad += 1;
            fail(&mut out, id, e.message(lang))?;
            continue;
        }
        let report = m.check(body, k, lang);
        serde_json::to_writer(
            &mut out,
            &LineOut {
                id,
                report: &report,
            },
        )?;
        writeln!(out)?;
    }
    out.flush()?;
    if bad > 0 {
        bail!("{bad} line(s) of {what} could not be checked (see their output lines)");
    }
    Ok(())
}
