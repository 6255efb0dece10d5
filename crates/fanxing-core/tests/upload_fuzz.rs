//! A bounded fuzz run over every reader an upload goes through: the
//! spreadsheet and text-table reader, the roster parser and the live-export
//! parser. Seeds are real-looking files; each case mutates one (bytes of the
//! file, or the XML inside a workbook, with the tokens that broke readers
//! before: far cell references, huge counts, quotes, separators, control
//! characters) and reads it through every parser. A case passes when
//! nothing panics and the peak memory of the read stays within the limits'
//! documented bound (`GridLimits::memory_bound`).
//!
//! The run is deterministic for a given seed and bounded in time:
//! `FANXING_FUZZ_SECS` (default 15) and `FANXING_FUZZ_SEED` change them. A
//! failing input is written to the temporary directory and named in the
//! failure.

use std::time::{Duration, Instant};

use fanxing_core::analytics::{Platform, GRID_LIMITS};
use fanxing_core::sheet::{self, xlsx_from_parts};
use peakmem_alloc::{PeakMemAlloc, PeakMemAllocTrait, INSTRUMENTED_SYSTEM};

/// Counts the bytes allocated since a reset, and their peak.
#[global_allocator]
static GLOBAL: &PeakMemAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

/// A small, fast, deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Tokens that have broken spreadsheet and CSV readers.
const TOKENS: &[&[u8]] = &[
    b",",
    b"\n",
    b"\r\n",
    b"\"",
    b"\t",
    b"\0",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"XFD1048576",
    b"Z1000000",
    b"4000000000",
    b"99999999999999999999",
    b"-1",
    b"1e308",
    b"NaN",
    b"2025-02-30 25:61",
    b"\xe2\x80\xae",
    b"</t></si>",
    b"<c r=\"XFD1048576\" t=\"inlineStr\"><is><t>x</t></is></c>",
    b"<row r=\"1048576\">",
    b" t=\"s\"",
    b"<v>999999</v>",
    b"uniqueCount=\"4000000000\"",
    b"13800000000",
    b"\xe5\xa7\x93\xe5\x90\x8d",
];

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(6) {
            0 if !out.is_empty() => {
                let i = at.min(out.len() - 1);
                out[i] ^= 1 << rng.below(8);
            }
            1 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                out.splice(at..at, t.iter().copied());
            }
            2 => {
                let end = (at + rng.below(64)).min(out.len());
                out.drain(at..end);
            }
            3 => {
                // Repeat a stretch, as a long row or many rows would.
                let end = (at + 1 + rng.below(200)).min(out.len());
                let chunk = out[at.min(end)..end].to_vec();
                for _ in 0..rng.below(200) {
                    out.splice(end..end, chunk.iter().copied());
                }
            }
            4 => out.truncate(at),
            _ => {
                let t = TOKENS[rng.below(TOKENS.len())];
                let end = (at + t.len()).min(out.len());
                out.splice(at..end, t.iter().copied());
            }
        }
    }
    out
}

const ROSTER_CSV: &str = "姓名,手机号,身份证号,工作单位,层级,所在地区,参训会场\n\
王芳,13800138000,,苏州某某电商,运营人员,姑苏区,主会场\n\
李雷,13900139000,,,主播,昆山,\n";

const LIVE_CSV: &str = "抖音号,直播场次ID,直播开始时间,直播时长,观看人次,观看人数,最高在线人数,人均观看时长,成交人数,成交订单数,成交金额\n\
ks-1,s-1,2025-06-01 20:00,90,1200,800,60,75,12,14,1288.50\n\
ks-1,s-2,2025-06-02 20:00:00,120,900,700,40,60,0,0,0\n";

/// The worksheet XML of a CSV's lines, as inline strings and numbers.
fn sheet_of(csv: &str) -> Vec<u8> {
    let mut x = String::from(
        r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for (r, line) in csv.lines().enumerate() {
        x.push_str(&format!(r#"<row r="{}">"#, r + 1));
        for (c, v) in line.split(',').enumerate() {
            let at = format!("{}{}", (b'A' + c as u8) as char, r + 1);
            if v.parse::<f64>().is_ok() && !v.starts_with("13") {
                x.push_str(&format!(r#"<c r="{at}"><v>{v}</v></c>"#));
            } else if !v.is_empty() {
                x.push_str(&format!(
                    r#"<c r="{at}" t="inlineStr"><is><t>{v}</t></is></c>"#
                ));
            }
        }
        x.push_str("</row>");
    }
    x.push_str("</sheetData></worksheet>");
    x.into_bytes()
}

const SST: &[u8] = br#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2"><si><t>a</t></si><si><t>b</t></si></sst>"#;

/// Reads `bytes` through every parser an upload may meet; returns the peak
/// memory above what was live before.
fn read_everything(name: &str, bytes: &[u8]) -> usize {
    GLOBAL.reset_peak_memory();
    if let Ok(grid) = fanxing_core::training::roster::read_grid(name, bytes) {
        let _ = fanxing_core::training::roster::parse_roster(&grid);
    }
    for p in [
        Platform::Douyin,
        Platform::Taobao,
        Platform::Kuaishou,
        Platform::Channels,
    ] {
        let _ = fanxing_core::analytics::service::parse_live_export(name, bytes, p);
    }
    GLOBAL.get_peak_memory()
}

fn check(case: usize, name: &str, bytes: &[u8]) -> usize {
    let bound = fanxing_core::training::roster::LIMITS
        .memory_bound(bytes.len())
        .max(GRID_LIMITS.memory_bound(bytes.len()));
    let outcome = std::panic::catch_unwind(|| read_everything(name, bytes));
    let keep = |why: String| -> ! {
        let path = std::env::temp_dir().join(format!("fanxing-fuzz-{case}-{name}"));
        let _ = std::fs::write(&path, bytes);
        panic!(
            "case {case} ({name}): {why}; input kept at {}",
            path.display()
        );
    };
    match outcome {
        Err(_) => keep("a reader panicked".into()),
        Ok(peak) if peak as u64 > bound => keep(format!("peak {peak} bytes over {bound}")),
        Ok(peak) => peak,
    }
}

/// The worst files built by hand: a sheet with A1 and XFD1048576 (once
/// half a terabyte asked for), A1 and Z1000000 (once 12 s and 1 GB), a
/// shared string inflating to 200 MB, a table claiming four billion
/// strings, ten megabytes of commas. Each is read through every parser;
/// the time and peak memory are printed.
fn worst_files() -> Vec<(&'static str, Vec<u8>)> {
    const NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    let two = |far: &str| {
        let row: String = far.chars().filter(char::is_ascii_digit).collect();
        format!(r#"<?xml version="1.0"?><worksheet xmlns="{NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row><row r="{row}"><c r="{far}" t="inlineStr"><is><t>b</t></is></c></row></sheetData></worksheet>"#).into_bytes()
    };
    let mut bomb =
        format!(r#"<?xml version="1.0"?><sst xmlns="{NS}" count="1" uniqueCount="1"><si><t>"#)
            .into_bytes();
    bomb.extend(std::iter::repeat_n(b'0', 200 << 20));
    bomb.extend_from_slice(b"</t></si></sst>");
    let counts = format!(
        r#"<?xml version="1.0"?><sst xmlns="{NS}" count="4000000000" uniqueCount="4000000000"><si><t>a</t></si></sst>"#
    );
    vec![
        (
            "A1+XFD1048576.xlsx",
            xlsx_from_parts(&two("XFD1048576"), None),
        ),
        ("A1+Z1000000.xlsx", xlsx_from_parts(&two("Z1000000"), None)),
        ("sst-200MB.xlsx", xlsx_from_parts(&two("A2"), Some(&bomb))),
        (
            "sst-4e9.xlsx",
            xlsx_from_parts(&two("A2"), Some(counts.as_bytes())),
        ),
        ("commas-10MB.csv", vec![b','; 10 << 20]),
        ("sst.xlsx", xlsx_from_parts(&sheet_of(LIVE_CSV), Some(SST))),
    ]
}

#[test]
fn uploads_never_panic_nor_pass_their_memory_bound() {
    let secs = std::env::var("FANXING_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(15);
    let seed = std::env::var("FANXING_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_F00D_u64);
    let mut rng = Rng(seed | 1);
    let text_seeds: Vec<(&str, Vec<u8>)> = vec![
        ("r.csv", ROSTER_CSV.as_bytes().to_vec()),
        ("l.csv", LIVE_CSV.as_bytes().to_vec()),
        ("l.txt", LIVE_CSV.replace(',', "\t").into_bytes()),
    ];
    let xml_seeds: Vec<Vec<u8>> = vec![sheet_of(ROSTER_CSV), sheet_of(LIVE_CSV)];
    for (name, file) in worst_files() {
        let t = Instant::now();
        let peak = check(0, name, &file);
        eprintln!(
            "{name}: {} bytes read in {:.1} ms, peak {:.1} MB (every parser)",
            file.len(),
            t.elapsed().as_secs_f64() * 1e3,
            peak as f64 / 1e6
        );
    }

    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut cases = 0usize;
    while Instant::now() < deadline {
        cases += 1;
        match rng.below(3) {
            0 => {
                let (name, base) = &text_seeds[rng.below(text_seeds.len())];
                let _ = check(cases, name, &mutate(&mut rng, base));
            }
            1 => {
                let pick = rng.below(xml_seeds.len());
                let xml = mutate(&mut rng, &xml_seeds[pick]);
                let sst = if rng.below(2) == 0 {
                    Some(mutate(&mut rng, SST))
                } else {
                    None
                };
                let _ = check(cases, "x.xlsx", &xlsx_from_parts(&xml, sst.as_deref()));
            }
            _ => {
                let file = xlsx_from_parts(&xml_seeds[rng.below(xml_seeds.len())], Some(SST));
                let _ = check(cases, "z.xlsx", &mutate(&mut rng, &file));
            }
        }
    }
    eprintln!("upload fuzz: {cases} cases in {secs} s, seed {seed}");
    assert!(cases > 50, "too few cases ran: {cases}");
}

#[test]
fn parses_beyond_the_slots_are_told_to_come_back() {
    let a = sheet::parse_slot().unwrap();
    let b = sheet::parse_slot().unwrap();
    assert_eq!(sheet::PARSE_SLOTS, 2);
    assert!(matches!(
        sheet::parse_slot(),
        Err(fanxing_core::error::Error::Busy)
    ));
    drop(a);
    let c = sheet::parse_slot().unwrap();
    drop((b, c));
}
