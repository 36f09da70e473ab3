//! A service running in-process: one stop signal shared by the gRPC server and the
//! service's background tasks (outbox sequencer, timers, event consumers), and an orderly
//! stop — the server drains calls in flight, the tasks end, then the pool closes.
//!
//! The binary, the suite and the tests all start a service the same way, so this is where
//! that lifecycle lives rather than in each service.

use std::{future::Future, net::SocketAddr, time::Duration};

use tokio::{net::TcpListener, sync::watch, task::JoinHandle};
use tonic::service::Routes;

use crate::{
    db::Db,
    serve::{ServeOptions, serve, shutdown_signal},
};

/// Gathers a service's background tasks before its server starts.
#[derive(Debug)]
pub struct Launch {
    stop: watch::Sender<bool>,
    background: Vec<JoinHandle<()>>,
}

impl Default for Launch {
    fn default() -> Self {
        Self::new()
    }
}

impl Launch {
    /// Nothing started yet.
    pub fn new() -> Self {
        Self {
            stop: watch::channel(false).0,
            background: Vec::new(),
        }
    }

    /// A future that resolves once the service is asked to stop; hand one to each task.
    pub fn stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.stop.subscribe();
        async move {
            while !*rx.borrow_and_update() {
                if rx.changed().await.is_err() {
                    return;
                }
            }
        }
    }

    /// Runs `task` until it returns; it should watch [`Launch::stopped`].
    pub fn spawn(&mut self, task: impl Future<Output = ()> + Send + 'static) {
        self.background.push(tokio::spawn(task));
    }

    /// Runs `job` now and then every `interval` until the stop. A run that takes longer
    /// than the interval delays the next one instead of queueing runs behind it; a stop
    /// lets the run in progress finish.
    pub fn every<F, Fut>(&mut self, interval: Duration, mut job: F)
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send,
    {
        let stop = self.stopped();
        self.spawn(async move {
            tokio::pin!(stop);
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = &mut stop => return,
                    _ = tick.tick() => job().await,
                }
            }
        });
    }

    /// Starts the gRPC server (see [`serve`]) and hands back the running service.
    pub fn serve<A>(
        self,
        listener: TcpListener,
        routes: Routes,
        options: ServeOptions,
        app: A,
    ) -> anyhow::Result<Running<A>> {
        let addr = listener.local_addr()?;
        let db = options.db.clone();
        let server = tokio::spawn(serve(listener, routes, options, self.stopped()));
        Ok(Running {
            addr,
            app,
            stop: self.stop,
            server,
            background: self.background,
            db,
        })
    }
}

/// A started service.
#[derive(Debug)]
pub struct Running<A> {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its use cases, for in-process callers (the suite's seeding, tests).
    pub app: A,
    stop: watch::Sender<bool>,
    server: JoinHandle<anyhow::Result<()>>,
    background: Vec<JoinHandle<()>>,
    db: Db,
}

impl<A> Running<A> {
    /// Stops accepting, finishes calls in flight, stops background work, closes the pool.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.request_stop();
        let result = (&mut self.server).await;
        self.close().await;
        result?
    }

    /// Resolves when the server ends by itself (an error).
    pub async fn wait(&mut self) -> anyhow::Result<()> {
        (&mut self.server).await?
    }

    /// Asks the service to stop, without waiting.
    pub fn request_stop(&self) {
        let _ = self.stop.send(true);
    }

    /// Serves until Ctrl-C or SIGTERM, then stops in order; or, should the server end
    /// first, stops the rest and returns its error. What a binary's `serve` command does.
    pub async fn until_signal(mut self) -> anyhow::Result<()> {
        tokio::select! {
            () = shutdown_signal() => self.stop().await,
            result = self.wait() => {
                self.close().await;
                result
            }
        }
    }

    /// Ends the background tasks and closes the pool, once the server is done.
    async fn close(self) {
        self.request_stop();
        for task in self.background {
            let _ = task.await;
        }
        self.db.close().await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn every_runs_at_once_then_each_interval_and_not_after_the_stop() {
        let runs = Arc::new(AtomicUsize::new(0));
        let mut launch = Launch::new();
        let counter = runs.clone();
        launch.every(Duration::from_secs(10), move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
        tokio::time::sleep(Duration::from_secs(25)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 3, "at 0 s, 10 s and 20 s");
        let _ = launch.stop.send(true);
        for task in launch.background {
            task.await.unwrap();
        }
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn stopped_resolves_for_futures_taken_before_and_after_the_stop() {
        let launch = Launch::new();
        let before = launch.stopped();
        let _ = launch.stop.send(true);
        let after = launch.stopped();
        tokio::time::timeout(Duration::from_secs(5), async {
            before.await;
            after.await;
        })
        .await
        .expect("both resolve");
    }
}
