//! Throughput and memory of the sandbox's FHIR search: starts an in-process
//! sandbox with `--patients` (default 100000) synthetic patients, then one
//! client pages through `GET /fhir/Patient?_count=1000` by following `next`
//! links, parsing every page as JSON like a real client would. Prints
//! resources/s and resident memory (this process holds both server and
//! client, so the RSS figure is an upper bound for the server alone).
//!
//! `--raw` skips the client's JSON parsing to isolate the server.
//!
//! Run through `bench/sandbox.sh`; targets: ≥ 50,000 resources/s and
//! ≤ 300 MB RSS for 100k patients.

// Tests and benches may print (clippy.toml keeps `println!` out of the crates).
#![allow(clippy::disallowed_macros)]

use std::time::{Duration, Instant, SystemTime};

use smart_sandbox::{Grant, Options, Sandbox};

const TARGET_RATE: f64 = 50_000.0;
const TARGET_RSS_MB: f64 = 300.0;

fn status_kb(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let patients = arg("--patients", 100_000) as usize;
    let rounds = arg("--rounds", 3).max(1);
    let count = arg("--count", 1000);
    // `--raw`: do not parse pages as JSON (find the next link by text), to
    // see the server's share of the time.
    let raw = std::env::args().any(|a| a == "--raw");
    // `--query Q`: page another search instead (e.g. `Observation?code=8867-4`).
    let args: Vec<String> = std::env::args().collect();
    let query = args
        .iter()
        .position(|a| a == "--query")
        .and_then(|i| args.get(i + 1).cloned());

    let t = Instant::now();
    let sb = Sandbox::start(Options {
        patients,
        ..Default::default()
    })
    .await?;
    let startup = t.elapsed();
    let token = sb.issue_access_token(Grant {
        client_id: "bench".into(),
        scopes: vec!["user/*.rs".into()],
        patient: None,
        encounter: None,
        fhir_user: None,
        expires_at: SystemTime::now() + Duration::from_secs(3600),
    });
    let base = sb.fhir_base().as_str().trim_end_matches('/').to_string();
    println!(
        "sandbox: {patients} patients, started in {:.3} s, RSS {:.1} MB",
        startup.as_secs_f64(),
        status_kb("VmRSS:").unwrap_or(0) as f64 / 1024.0
    );

    let client = reqwest::Client::new();
    let mut best: f64 = 0.0;
    for round in 1..=rounds {
        let t = Instant::now();
        let first = match &query {
            Some(q) => format!("{base}/{q}"),
            None => format!("{base}/Patient?_count={count}"),
        };
        let mut next = Some(first);
        let (mut resources, mut bytes, mut pages) = (0usize, 0usize, 0usize);
        while let Some(url) = next.take() {
            let r = client.get(&url).bearer_auth(&token).send().await?;
            anyhow::ensure!(r.status().is_success(), "{url}: {}", r.status());
            let body = r.bytes().await?;
            bytes += body.len();
            pages += 1;
            if raw {
                let text = std::str::from_utf8(&body)?;
                resources += text.matches("\"fullUrl\":").count();
                next = text
                    .split_once("\"relation\":\"next\",\"url\":\"")
                    .and_then(|(_, rest)| rest.split_once('"'))
                    .map(|(u, _)| u.to_owned());
                continue;
            }
            let v: serde_json::Value = serde_json::from_slice(&body)?;
            resources += v["entry"].as_array().map_or(0, |e| e.len());
            next = v["link"].as_array().and_then(|ls| {
                ls.iter()
                    .find(|l| l["relation"] == "next")
                    .and_then(|l| l["url"].as_str())
                    .map(str::to_owned)
            });
        }
        if query.is_none() {
            anyhow::ensure!(resources == patients, "paged {resources} of {patients}");
        }
        let secs = t.elapsed().as_secs_f64();
        let rate = resources as f64 / secs;
        best = best.max(rate);
        println!(
            "round {round}: {resources} resources in {pages} pages, {:.1} MB, {secs:.3} s = {rate:.0} resources/s",
            bytes as f64 / 1e6
        );
    }
    let rss = status_kb("VmRSS:").unwrap_or(0) as f64 / 1024.0;
    let peak = status_kb("VmHWM:").unwrap_or(0) as f64 / 1024.0;
    println!(
        "throughput: {best:.0} resources/s (target ≥ {TARGET_RATE:.0}: {:.2}x)",
        best / TARGET_RATE
    );
    println!(
        "memory: RSS {rss:.1} MB, peak {peak:.1} MB (target ≤ {TARGET_RSS_MB:.0} MB: {:.2}x headroom)",
        TARGET_RSS_MB / peak.max(1.0)
    );
    sb.stop().await;
    Ok(())
}
