//! The data dir and the audit logs belong to the server's user alone: files `0600`, directories
//! `0700`, and a data dir other users can write is refused at start.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{ADMIN_TOKEN, Dirs, spawn_app_with};

/// Every file and directory under `root`, itself included, with its permission bits.
fn modes(root: &Path) -> Vec<(PathBuf, u32, bool)> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(path) = pending.pop() {
        let metadata = std::fs::symlink_metadata(&path).unwrap();
        found.push((
            path.clone(),
            metadata.permissions().mode() & 0o777,
            metadata.is_dir(),
        ));
        if metadata.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                pending.push(entry.unwrap().path());
            }
        }
    }
    found
}

#[actix_rt::test]
async fn every_file_the_server_writes_is_private() {
    let dirs = Dirs::new();
    let (data, logs) = (dirs.data().join("data"), dirs.logs().join("audit"));
    let locate = |settings: &mut tracking_server::Settings| {
        settings.data_dir = data.clone();
        settings.log_dir = logs.clone();
        settings.journal_compact_bytes = 2048;
        settings.audit_max_bytes = 512;
    };
    // The first start generates the admin credential's hash file.
    let first = spawn_app_with(dirs, |settings| {
        locate(settings);
        settings.admin_token = None;
    })
    .await;
    let dirs = first.stop().await;
    let app = spawn_app_with(dirs, locate).await;
    let (keep, leave) = (app.family("Alex").await, app.family("Blair").await);
    for _ in 0..10 {
        app.activate(&keep.parent, &keep.child, &keep.task)
            .await
            .expect(200);
        app.activate(&leave.parent, &leave.child, &leave.task)
            .await
            .expect(200);
    }
    app.delete(&format!("/admin/users/{}", leave.parent.id), ADMIN_TOKEN)
        .await
        .expect(204);
    let dirs = app.stop().await;

    let data_entries = modes(&data);
    let log_entries = modes(&logs);
    let names: Vec<String> = data_entries
        .iter()
        .chain(&log_entries)
        .filter_map(|(path, _, _)| Some(path.file_name()?.to_str()?.to_owned()))
        .collect();
    for expected in ["admin_token.sha256", ".log.1"] {
        assert!(
            names.iter().any(|name| name.contains(expected)),
            "{expected} was not written: {names:?}"
        );
    }
    for (path, mode, is_dir) in data_entries.iter().chain(&log_entries) {
        let wanted = if *is_dir { 0o700 } else { 0o600 };
        assert_eq!(*mode, wanted, "{} is {mode:o}", path.display());
    }
    drop(dirs);
}

#[test]
fn a_data_dir_others_can_write_is_refused_at_start() {
    let dirs = Dirs::new();
    let data = dirs.data().join("shared");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o777)).unwrap();
    let mut server = Command::new(env!("CARGO_BIN_EXE_tracking-server"))
        .arg("--data-dir")
        .arg(&data)
        .arg("--log-dir")
        .arg(dirs.logs())
        .args(["--bind", "127.0.0.1:0", "--admin-token", ADMIN_TOKEN])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Not a speed check: only a bound, so that a server that wrongly starts fails the test
    // instead of hanging it.
    let give_up = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > give_up {
            server.kill().unwrap();
            panic!("the server started on a data dir others can write");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut server.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success(), "{stderr}");
    assert!(stderr.contains("writable by other users"), "{stderr}");
    assert!(stderr.contains(&data.display().to_string()), "{stderr}");
    assert_eq!(
        std::fs::read_dir(&data).unwrap().count(),
        0,
        "nothing was written into the refused dir"
    );
}
