//! The `quote` command prints the consolidated estimate of a case file as JSON, priced with the
//! books in force on the case's date (rule V-5), and refuses a date no book covers, naming the
//! last book. The binary is run as a user would; nothing depends on today's date.

use std::{path::PathBuf, process::Command};

/// Runs `connect-my-home quote <case>` without the caller's environment (no CMH_* setting or
/// RUST_LOG may change it): the exit status, stdout and stderr.
fn quote(case: &std::path::Path) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_connect-my-home"))
        .env_clear()
        .arg("quote")
        .arg(case)
        .output()
        .expect("the binary runs");
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("docs/examples")
        .join(name)
}

#[test]
fn v_5_the_quote_command_prices_a_case_on_the_last_day_of_2027() {
    let (success, stdout, stderr) = quote(&example("estimate-case-2027.json"));
    assert!(success, "{stderr}");
    let estimate: serde_json::Value = serde_json::from_str(&stdout).expect("JSON on stdout");
    assert_eq!(estimate["request_date"], "2027-12-31");
    assert_eq!(estimate["tariff_date"], "2027-12-31");
    assert_eq!(estimate["illustrative"], true);
    let versions: Vec<&str> = estimate["books"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["version"].as_str().unwrap())
        .collect();
    assert_eq!(
        versions,
        [
            "ORES-2027-demo.1",
            "SWDE-2027-demo.1",
            "PROXIMUS-2027-demo.1",
            "VOO-2027-demo.1"
        ]
    );
    // By hand (see tests/tariff.rs, the 2027 example case): 2,109.03 + 8,778.54 + 0 + 0.
    assert_eq!(estimate["total_incl_vat"], "10887.57");
}

#[test]
fn v_5_the_quote_command_refuses_a_date_after_the_last_book_and_names_it() {
    let dir = std::env::temp_dir().join(format!("cmh-cli-quote-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let case = dir.join("case-2028.json");
    let text = std::fs::read_to_string(example("estimate-case-2027.json"))
        .unwrap()
        .replace("\"2027-12-31\"", "\"2028-01-03\"");
    assert!(text.contains("\"request_date\": \"2028-01-03\""), "{text}");
    std::fs::write(&case, text).unwrap();

    let (success, stdout, stderr) = quote(&case);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(!success, "{stdout}");
    assert!(stdout.trim().is_empty(), "nothing priced: {stdout}");
    assert!(
        stderr.contains(
            "no ores tariff book is in force on 2028-01-03: the last book, ORES-2027-demo.1, \
             ended on 2027-12-31 and no later book exists yet"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("(rule V-5)"), "{stderr}");
}
