//! A throwaway PostgreSQL server for tests, started from the machine's PostgreSQL binaries on a
//! free loopback port and removed when dropped.
//!
//! `initdb` and `postgres` refuse to run as root, so as root they run as the `postgres` user
//! (through `runuser`) on a directory that user owns.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub struct PostgresServer {
    bin: PathBuf,
    dir: tempfile::TempDir,
    as_postgres: bool,
    pub port: u16,
}

fn find_bin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").exists() && bin.join("pg_ctl").exists()).then_some((v, bin))
        })
        .collect();
    dirs.sort();
    dirs.pop().map(|(_, b)| b)
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl PostgresServer {
    /// Starts a server, or returns `None` (after a loud message) when PostgreSQL is not
    /// installed. Under `CI=true` a missing installation is a test failure.
    pub async fn start() -> Option<PostgresServer> {
        let Some(bin) = find_bin_dir() else {
            if std::env::var("CI").map(|v| v == "true").unwrap_or(false) {
                panic!("PostgreSQL binaries not found under /usr/lib/postgresql/*/bin and CI=true: install the `postgresql` package");
            }
            eprintln!("\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
            eprintln!("!! SKIPPING PostgreSQL event-store tests: no /usr/lib/postgresql/*/bin");
            eprintln!("!! Install with: apt-get update && apt-get install -y postgresql");
            eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n");
            return None;
        };
        let as_postgres = running_as_root();
        let dir = tempfile::Builder::new()
            .prefix("es-pg-")
            .tempdir()
            .expect("tempdir");
        if as_postgres {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .expect("run chown");
            assert!(
                ok.success(),
                "chown of the PostgreSQL test directory failed"
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let server = PostgresServer {
            bin,
            dir,
            as_postgres,
            port,
        };
        let data = server.data_dir();
        server.run(
            "initdb",
            &[
                "-D",
                path_str(&data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        let opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=60 -c shared_buffers=32MB",
            path_str(server.dir.path())
        );
        let log = server.dir.path().join("server.log");
        server.run(
            "pg_ctl",
            &[
                "-D",
                path_str(&data),
                "-l",
                path_str(&log),
                "-o",
                &opts,
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
        server.wait_ready().await;
        Some(server)
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let out = cmd
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {tool}: {e}"));
        assert!(
            out.status.success(),
            "{tool} failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match tokio_postgres::connect(
                &self.connection_string("postgres"),
                tokio_postgres::NoTls,
            )
            .await
            {
                Ok(_) => return,
                Err(e) if Instant::now() > deadline => {
                    panic!("PostgreSQL did not accept connections: {e}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    /// Connection string for database `db`.
    pub fn connection_string(&self, db: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname={db}",
            self.port
        )
    }

    /// Creates an empty database and returns its connection string.
    pub async fn create_database(&self, name: &str) -> String {
        let (client, conn) =
            tokio_postgres::connect(&self.connection_string("postgres"), tokio_postgres::NoTls)
                .await
                .expect("connect admin");
        let handle = tokio::spawn(conn);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create database");
        drop(client);
        let _ = handle.await;
        self.connection_string(name)
    }
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        let data = self.data_dir();
        let exe = self.bin.join("pg_ctl");
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let _ = cmd
            .args(["-D", path_str(&data), "-m", "immediate", "-w", "stop"])
            .output();
    }
}
