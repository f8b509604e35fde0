//! dpa's own JSON Lines layout is read without the general JSON parser
//! (`formats::parse_compact_line`): every line it takes must give the very record
//! `serde_json` gives, bit for bit, and every line it does not take is left to it.

use dpa::formats::{append_compact_line, parse_compact_line};
use dpa::Params;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// What the general parser reads from `line` (the reader's fallback).
fn general(line: &[u8]) -> Option<Params> {
    let mut out = None;
    let text = String::from_utf8_lossy(line).replace(',', ", ");
    // The spaced text is not the fast layout: the general parser reads it.
    dpa::read_records_from(text.as_bytes(), "t".as_ref(), |p| {
        out = Some(p);
        Ok(())
    })
    .ok()?;
    out
}

fn runner() -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(20_000);
    TestRunner::new_with_rng(
        Config {
            cases,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    )
}

fn finite() -> impl Strategy<Value = f64> {
    any::<u64>()
        .prop_map(f64::from_bits)
        .prop_filter("finite", |v| v.is_finite())
}

#[test]
fn any_finite_record_reads_back_as_the_general_parser_reads_it() {
    let record = (
        any::<u64>(),
        proptest::option::of(0u64..1024),
        [finite(), finite(), finite(), finite(), finite()],
        any::<[u8; 32]>(),
    );
    runner()
        .run(&record, |(id, rank, values, hash)| {
            let p = Params::from_parts(id, rank, values, hash);
            let mut line = Vec::new();
            append_compact_line(&p, &mut line);
            let fast = parse_compact_line(&line);
            let slow = general(&line).expect("the general parser reads dpa's lines");
            // Floats the writer prints as integers are left to the general parser.
            if let Some(fast) = fast {
                prop_assert!(fast.bit_eq(&slow), "{}", String::from_utf8_lossy(&line));
            }
            prop_assert!(slow.bit_eq(&p));
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_changed_byte_is_either_left_to_the_general_parser_or_read_alike() {
    let g = dpa::Generator::new(dpa::Preset::Moderate.config()).unwrap();
    let strategy = (0u64..1_000_000, any::<prop::sample::Index>(), any::<u8>());
    runner()
        .run(&strategy, |(id, at, byte)| {
            let mut line = Vec::new();
            append_compact_line(&g.params(id), &mut line);
            let i = at.index(line.len());
            line[i] = byte;
            if let Some(fast) = parse_compact_line(&line) {
                let slow = general(&line);
                prop_assert!(
                    slow.is_some_and(|s| s.bit_eq(&fast)),
                    "{}",
                    String::from_utf8_lossy(&line)
                );
            }
            Ok(())
        })
        .unwrap();
}
