//! Test doubles built on the real runtime: a probe service that records its lifecycle and can be
//! told to crash, and helpers to wait for supervision events.
#![allow(dead_code)]

use elixir_scope_runtime_core::{
    ChildSpec, Context, EventBus, ExitReason, InitError, Service, ServiceRef, SupervisionEvent,
};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// An ordered log of lifecycle lines such as `start:a`, `stop:a`.
#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    pub fn push(&self, line: String) {
        self.0.lock().push(line);
    }
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().clone()
    }
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock())
    }
}

/// Knobs shared by every incarnation of one probe.
#[derive(Clone, Default)]
pub struct Knobs {
    pub fail_init: Arc<AtomicBool>,
    pub stubborn: Arc<AtomicBool>,
    pub starts: Arc<AtomicU64>,
}

pub struct Probe {
    id: &'static str,
    log: Log,
    knobs: Knobs,
    incarnation: u64,
    value: u64,
}

pub enum ProbeCall {
    Incarnation,
    Get,
    PanicNow,
    Sleep(Duration),
}

pub enum ProbeCast {
    Add(u64),
    Panic,
    Exit(ExitReason),
}

impl Service for Probe {
    type Call = ProbeCall;
    type Reply = u64;
    type Cast = ProbeCast;
    type Info = ();

    async fn init(&mut self, _ctx: &mut Context<Self>) -> Result<(), InitError> {
        self.incarnation = self.knobs.starts.fetch_add(1, Ordering::SeqCst) + 1;
        if self.knobs.fail_init.load(Ordering::SeqCst) {
            self.log.push(format!("init_failed:{}", self.id));
            return Err(format!("{} refuses to start", self.id).into());
        }
        self.log.push(format!("start:{}", self.id));
        Ok(())
    }

    async fn handle_call(&mut self, request: ProbeCall, _ctx: &mut Context<Self>) -> u64 {
        match request {
            ProbeCall::Incarnation => self.incarnation,
            ProbeCall::Get => self.value,
            ProbeCall::PanicNow => panic!("{} panics in a call", self.id),
            ProbeCall::Sleep(d) => {
                tokio::time::sleep(d).await;
                self.value
            }
        }
    }

    async fn handle_cast(&mut self, message: ProbeCast, ctx: &mut Context<Self>) {
        match message {
            ProbeCast::Add(n) => self.value += n,
            ProbeCast::Panic => panic!("{} was told to panic", self.id),
            ProbeCast::Exit(reason) => ctx.stop(reason),
        }
    }

    async fn terminate(&mut self, reason: &ExitReason, _ctx: &mut Context<Self>) {
        self.log.push(format!("stop:{}", self.id));
        if self.knobs.stubborn.load(Ordering::SeqCst) && matches!(reason, ExitReason::Shutdown(_)) {
            std::future::pending::<()>().await;
        }
    }
}

pub fn probe(id: &'static str, log: &Log) -> (ChildSpec, ServiceRef<Probe>, Knobs) {
    let knobs = Knobs::default();
    let log = log.clone();
    let k = knobs.clone();
    let (spec, handle) = ChildSpec::service(id, move || Probe {
        id,
        log: log.clone(),
        knobs: k.clone(),
        incarnation: 0,
        value: 0,
    });
    (spec, handle, knobs)
}

/// Waits (up to 5 s) for an event matching `pred` and returns it.
pub async fn wait_for(
    rx: &mut broadcast::Receiver<SupervisionEvent>,
    pred: impl Fn(&SupervisionEvent) -> bool,
) -> SupervisionEvent {
    let found = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match rx.recv().await {
                Ok(event) if pred(&event) => return event,
                Ok(_) => continue,
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => panic!("event bus closed"),
            }
        }
    })
    .await;
    found.expect("expected supervision event did not arrive within 5 s")
}

pub fn bus() -> (EventBus, broadcast::Receiver<SupervisionEvent>) {
    let bus = EventBus::new(65536);
    let rx = bus.subscribe();
    (bus, rx)
}

pub fn restarted(child: &'static str) -> impl Fn(&SupervisionEvent) -> bool {
    move |e| matches!(e, SupervisionEvent::ChildRestarted { child: c, .. } if &**c == child)
}

pub fn exited(child: &'static str) -> impl Fn(&SupervisionEvent) -> bool {
    move |e| matches!(e, SupervisionEvent::ChildExited { child: c, .. } if &**c == child)
}

/// Waits until `cond` holds, polling on each scheduler turn, up to 5 s.
pub async fn eventually(mut cond: impl FnMut() -> bool) {
    tokio::time::timeout(Duration::from_secs(5), async {
        while !cond() {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("condition did not hold within 5 s");
}
