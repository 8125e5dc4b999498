//! Crash-safe outputs (issue 13): `run`, `batch` and every stage command leave either the
//! complete previous output or the complete new one when killed (SIGKILL) at any moment,
//! when the disk fills (a real small tmpfs, and the test-only hook
//! `TAGSCOPE_TEST_DISK_BYTES`) or when the output folder cannot be written; staging
//! folders of killed runs are removed by the next run.

mod common;
use common::*;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

/// Every file under `dir` (relative path → bytes), without manifest.json (timings).
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                walk(root, &path, out);
            } else {
                let name = path.strip_prefix(root).unwrap().display().to_string();
                if name != "manifest.json" {
                    out.insert(name, std::fs::read(&path).unwrap());
                }
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
}

/// Names in `dir`'s parent that belong to staging (`.NAME.partial-PID`, `.NAME.old-PID`)
/// or temporary files anywhere below `dir`.
fn leftovers(dir: &Path) -> Vec<String> {
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    let mut found: Vec<String> = std::fs::read_dir(dir.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(&format!(".{name}.")))
        .collect();
    found.extend(
        snapshot(dir)
            .into_keys()
            .filter(|k| k.contains(".tmp-") || k.contains(".partial-")),
    );
    found
}

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tagscope"))
}

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo")
}

/// `tagscope -q ARGS` as a process, for killing.
fn command(args: &[String]) -> Process {
    let mut process = Process::new(bin());
    process.arg("-q").args(args);
    process
}

fn run_args(out: &Path, bin_width: &str) -> Vec<String> {
    let mut args: Vec<String> = vec!["run".into(), demo().display().to_string()];
    args.extend(["--tag", "MacronLeaks", "--bin", bin_width, "--force", "-o"].map(String::from));
    args.push(out.display().to_string());
    args
}

fn ingest_args(out: &Path, tag: Option<&str>) -> Vec<String> {
    let mut args: Vec<String> = vec!["ingest".into(), demo().display().to_string()];
    if let Some(tag) = tag {
        args.extend(["--tag".into(), tag.into()]);
    }
    args.extend(["-o".into(), out.display().to_string()]);
    args
}

fn succeed(args: &[String]) {
    let output = command(args).output().unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Kills `args` after each delay in turn (a run that finishes first is simply complete),
/// alternating between two option sets, and checks the output is always exactly one of the
/// two complete outputs; then a last run removes what the killed ones left.
fn killed_at_any_moment(label: &str, variants: [Vec<String>; 2], out: &Path) {
    killed_at_any_moment_below(label, variants, out, "");
}

/// [`killed_at_any_moment`] for commands that stage a folder `sub` inside `out` (`coord`
/// writes OUT/coordination, `graph` OUT/graph): that folder is watched, and its staging
/// siblings inside `out` are not part of the output.
fn killed_at_any_moment_below(label: &str, variants: [Vec<String>; 2], out: &Path, sub: &str) {
    let scratch = out.parent().unwrap().join(format!("{label}-references"));
    let references: Vec<BTreeMap<String, Vec<u8>>> = (0..2)
        .map(|i| {
            let reference = scratch.join(format!("ref{i}"));
            let args: Vec<String> = variants[i]
                .iter()
                .map(|a| {
                    if a == &out.display().to_string() {
                        reference.display().to_string()
                    } else {
                        a.clone()
                    }
                })
                .collect();
            succeed(&args);
            snapshot(&reference.join(sub))
        })
        .collect();
    assert_ne!(
        references[0], references[1],
        "{label}: the variants must differ"
    );
    succeed(&variants[0]);
    assert!(snapshot(&out.join(sub)) == references[0]);
    let mut current = 0;
    let mut killed = 0;
    for step in 0..14u64 {
        let next = 1 - current;
        let mut child = command(&variants[next]).spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(step * step * 12));
        let finished = child.try_wait().unwrap().is_some();
        if !finished {
            // SIGKILL: no chance to clean up.
            child.kill().unwrap();
            killed += 1;
        }
        let status = child.wait().unwrap();
        let state = snapshot(&out.join(sub));
        let matches: Vec<usize> = (0..2).filter(|&i| state == references[i]).collect();
        assert_eq!(
            matches.len(),
            1,
            "{label}: after a kill at step {step} the output is neither complete version ({} files)",
            state.len()
        );
        if finished {
            assert!(status.success());
            assert_eq!(matches[0], next, "{label}: a finished run is in place");
        }
        current = matches[0];
    }
    assert!(killed > 0, "{label}: no run was killed");
    succeed(&variants[1 - current]);
    assert_eq!(
        leftovers(&out.join(sub)),
        Vec::<String>::new(),
        "{label}: staging left over"
    );
    let _ = std::fs::remove_dir_all(&scratch);
}

#[test]
fn run_killed_at_any_moment_leaves_the_old_or_the_new_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    killed_at_any_moment("run", [run_args(&out, "10m"), run_args(&out, "30m")], &out);
}

#[test]
fn simulate_killed_at_any_moment_leaves_the_old_or_the_new_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sim");
    let args = |seed: &str| -> Vec<String> {
        ["simulate", "--posts", "8000", "--seed", seed, "-o"]
            .iter()
            .map(|a| a.to_string())
            .chain([out.display().to_string()])
            .collect()
    };
    killed_at_any_moment("simulate", [args("1"), args("2")], &out);
}

#[test]
fn timeline_coord_and_graph_killed_at_any_moment() {
    let dir = tempfile::tempdir().unwrap();
    let tables = dir.path().join("tables");
    succeed(&ingest_args(&tables, None));
    let with = |command: &str, out: &Path, extra: &[&str]| -> Vec<String> {
        [command, &tables.display().to_string()]
            .into_iter()
            .chain(extra.iter().copied())
            .chain(["-o", &out.display().to_string()])
            .map(String::from)
            .collect()
    };
    let out = dir.path().join("timeline");
    killed_at_any_moment(
        "timeline",
        [
            with("timeline", &out, &["--title", "A"]),
            with("timeline", &out, &["--title", "B"]),
        ],
        &out,
    );
    let out = dir.path().join("coord");
    killed_at_any_moment_below(
        "coord",
        [
            with("coord", &out, &["--seed", "1"]),
            with("coord", &out, &["--min-coactions", "2"]),
        ],
        &out,
        "coordination",
    );
    let out = dir.path().join("graph");
    killed_at_any_moment_below(
        "graph",
        [
            with("graph", &out, &["--graph-seed", "1"]),
            with("graph", &out, &["--min-weight", "2"]),
        ],
        &out,
        "graph",
    );
}

#[test]
fn ingest_killed_at_any_moment_leaves_the_old_or_the_new_tables() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tables");
    killed_at_any_moment(
        "ingest",
        [
            ingest_args(&out, None),
            ingest_args(&out, Some("MacronLeaks")),
        ],
        &out,
    );
}

#[test]
fn score_and_batch_killed_at_any_moment() {
    let dir = tempfile::tempdir().unwrap();
    let tables = dir.path().join("tables");
    succeed(&ingest_args(&tables, None));
    let out = dir.path().join("scores");
    let score = |min_posts: &str| -> Vec<String> {
        [
            "score",
            &tables.display().to_string(),
            "--min-posts",
            min_posts,
            "-o",
            &out.display().to_string(),
        ]
        .map(String::from)
        .to_vec()
    };
    killed_at_any_moment("score", [score("1"), score("5")], &out);

    let batch_out = dir.path().join("batch");
    let batch_file = |name: &str, bin_width: &str| {
        let file = dir.path().join(name);
        std::fs::write(
            &file,
            format!(
                "out = {:?}\n[options]\nbin = {bin_width:?}\n[[job]]\nname = \"a\"\ninputs = [{:?}]\ntags = [\"MacronLeaks\"]\n[[job]]\nname = \"b\"\ninputs = [{:?}]\ntags = [\"MacronLeaks\"]\n",
                batch_out.display().to_string(),
                demo().join("twitter_v1").display().to_string(),
                demo().join("4chan").display().to_string(),
            ),
        )
        .unwrap();
        vec![
            "batch".to_string(),
            file.display().to_string(),
            "--force".to_string(),
        ]
    };
    // Batch outputs hold their own path (batch_summary.csv's folder column): compare each
    // variant with a second run of itself into the same folder, not a reference copy.
    let variants = [batch_file("a.toml", "10m"), batch_file("b.toml", "30m")];
    let mut references = Vec::new();
    for variant in &variants {
        succeed(variant);
        references.push(snapshot(&batch_out));
    }
    assert_ne!(references[0], references[1]);
    let mut current = 1;
    for step in 0..10u64 {
        let next = 1 - current;
        let mut child = command(&variants[next]).spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(step * step * 25));
        let _ = child.kill();
        child.wait().unwrap();
        let state = snapshot(&batch_out);
        let matches: Vec<usize> = (0..2).filter(|&i| state == references[i]).collect();
        assert_eq!(matches.len(), 1, "batch: killed at step {step}: a mix");
        current = matches[0];
    }
    succeed(&variants[1 - current]);
    assert_eq!(leftovers(&batch_out), Vec::<String>::new());
}

/// Every command's second output on a disk that fills part-way (the test-only hook fails
/// output files with ENOSPC once N bytes are written): a one-line error, the first output
/// untouched, nothing left over.
#[test]
fn a_full_disk_leaves_the_previous_output_of_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let tables = dir.path().join("tables");
    succeed(&ingest_args(&tables, None));
    let t = tables.display().to_string();
    let cases: Vec<(&str, PathBuf, Vec<String>, Vec<String>)> = {
        let out = |name: &str| dir.path().join(name);
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let o = |name: &str| out(name).display().to_string();
        vec![
            (
                "run",
                out("run"),
                run_args(&out("run"), "10m"),
                run_args(&out("run"), "30m"),
            ),
            (
                "ingest",
                out("ingest"),
                ingest_args(&out("ingest"), None),
                ingest_args(&out("ingest"), Some("MacronLeaks")),
            ),
            (
                "score",
                out("score"),
                args(&["score", &t, "--min-posts", "1", "-o", &o("score")]),
                args(&["score", &t, "--min-posts", "5", "-o", &o("score")]),
            ),
            (
                "timeline",
                out("timeline"),
                args(&["timeline", &t, "--bin", "10m", "-o", &o("timeline")]),
                args(&["timeline", &t, "--bin", "30m", "-o", &o("timeline")]),
            ),
            (
                "coord",
                out("coord"),
                args(&["coord", &t, "--window", "10", "-o", &o("coord")]),
                args(&["coord", &t, "--window", "60", "-o", &o("coord")]),
            ),
            (
                "graph",
                out("graph"),
                args(&["graph", &t, "-o", &o("graph")]),
                args(&["graph", &t, "--top-n", "5", "-o", &o("graph")]),
            ),
        ]
    };
    for (label, out, first, second) in cases {
        succeed(&first);
        let before = snapshot(&out);
        assert!(!before.is_empty(), "{label}: nothing written");
        for budget in ["0", "100", "5000", "60000"] {
            let output = command(&second)
                .env("TAGSCOPE_TEST_DISK_BYTES", budget)
                .output()
                .unwrap();
            if output.status.success() {
                // The whole output fitted in the budget: it is the new one, complete.
                continue;
            }
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(stderr.lines().count(), 1, "{label}: {stderr}");
            assert!(
                stderr.contains("No space left on device"),
                "{label}: {stderr}"
            );
            assert!(
                snapshot(&out) == before,
                "{label}: changed by a failed write"
            );
            assert_eq!(leftovers(&out), Vec::<String>::new(), "{label}");
        }
    }
}

struct Mount(PathBuf);

impl Mount {
    fn tmpfs(at: &Path, options: &str) -> Result<Mount, String> {
        std::fs::create_dir_all(at).unwrap();
        let output = Process::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(at)
            .output()
            .map_err(|e| e.to_string())?;
        if output.status.success() {
            Ok(Mount(at.to_path_buf()))
        } else {
            Err(String::from_utf8_lossy(&output.stderr).into_owned())
        }
    }

    fn remount(&self, options: &str) {
        let status = Process::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(status.success(), "remount {options}");
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Process::new("umount").arg(&self.0).status();
    }
}

/// A real small file system (tmpfs): room for one output but not for a second beside it.
/// Where mounting is not allowed (not root), the same checks run through the disk-full
/// hook instead, and the test says so.
#[test]
fn a_real_full_file_system_and_a_read_only_one_leave_the_previous_output() {
    let dir = tempfile::tempdir().unwrap();
    let scratch = dir.path().join("sizing");
    succeed(&run_args(&scratch, "10m"));
    let size: u64 = snapshot(&scratch).values().map(|v| v.len() as u64).sum();
    let mount_at = dir.path().join("mnt");
    // Room for the first output and a third of a second one.
    let kib = (size + size / 3) / 1024 + 64;
    match Mount::tmpfs(&mount_at, &format!("size={kib}k")) {
        Ok(mount) => {
            let out = mount_at.join("out");
            succeed(&run_args(&out, "10m"));
            let before = snapshot(&out);
            let output = command(&run_args(&out, "30m")).output().unwrap();
            assert!(!output.status.success(), "a second output cannot fit");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(stderr.contains("No space left on device"), "{stderr}");
            assert_eq!(stderr.lines().count(), 1, "{stderr}");
            assert!(snapshot(&out) == before, "the previous output changed");
            assert_eq!(leftovers(&out), Vec::<String>::new());

            // Read-only: the output folder cannot be written at all.
            mount.remount("ro");
            let output = command(&run_args(&out, "30m")).output().unwrap();
            assert!(!output.status.success());
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(stderr.contains("Read-only file system"), "{stderr}");
            assert!(snapshot(&out) == before);
            mount.remount("rw");
        }
        Err(reason) => {
            eprintln!(
                "mount -t tmpfs not allowed here ({}): checking through TAGSCOPE_TEST_DISK_BYTES",
                reason.trim()
            );
            let out = dir.path().join("out");
            succeed(&run_args(&out, "10m"));
            let before = snapshot(&out);
            let output = command(&run_args(&out, "30m"))
                .env("TAGSCOPE_TEST_DISK_BYTES", (size / 3).to_string())
                .output()
                .unwrap();
            assert!(!output.status.success());
            assert!(snapshot(&out) == before);
            assert_eq!(leftovers(&out), Vec::<String>::new());
        }
    }
}

/// An output folder that cannot be created (its parent is a file): a one-line error
/// naming it.
#[test]
fn an_unwritable_output_folder_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "not a folder").unwrap();
    for args in [
        run_args(&blocker.join("out"), "10m"),
        ingest_args(&blocker.join("tables"), None),
    ] {
        let output = command(&args).output().unwrap();
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(&blocker.display().to_string()), "{stderr}");
    }
    assert_eq!(std::fs::read_to_string(&blocker).unwrap(), "not a folder");
    // The output itself a file: refused, and the file kept.
    let output = command(&ingest_args(&blocker, None)).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is not a folder"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&blocker).unwrap(), "not a folder");
}

/// Staging folders of killed runs (their process gone) are removed by the next run; one
/// of a live process is left alone.
#[test]
fn stale_staging_folders_are_removed_by_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tables");
    let dead = dir.path().join(".tables.partial-4000000");
    let dead_old = dir.path().join(".tables.old-4000001");
    let live = dir.path().join(".tables.partial-1");
    for folder in [&dead, &dead_old, &live] {
        std::fs::create_dir_all(folder).unwrap();
        std::fs::write(folder.join("posts.parquet"), "half").unwrap();
    }
    ingest_ok(&[demo().to_str().unwrap()], &out);
    assert!(!dead.exists() && !dead_old.exists());
    assert!(live.exists(), "pid 1 is alive: its staging stays");
    assert_balanced(&report(&out));
}

/// `-o .` (the current folder) is staged beside it under its full name, and the files
/// already there are kept.
#[test]
fn the_current_folder_as_output() {
    let dir = tempfile::tempdir().unwrap();
    let here = dir.path().join("here");
    std::fs::create_dir_all(&here).unwrap();
    std::fs::write(here.join("notes.txt"), "mine").unwrap();
    let output = command(&ingest_args(Path::new("."), None))
        .current_dir(&here)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_balanced(&report(&here));
    assert_eq!(
        std::fs::read_to_string(here.join("notes.txt")).unwrap(),
        "mine"
    );
    assert_eq!(leftovers(&here), Vec::<String>::new());
}
