//! The group-commit writer: one thread owns the [`Book`] and runs every queued operation in
//! one transaction, so many assignments share one fsync (`synchronous=FULL`). Each operation
//! runs in its own savepoint: one that is refused (an unknown task, a second decision) is
//! undone alone; one that fails in SQLite fails the whole batch, which is rolled back and the
//! routing state re-read, and every caller in it gets a retryable error.

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::{self, JoinHandle};

use tokio::sync::{Notify, oneshot};

use crate::Error;
use crate::book::Book;

/// The most operations in one transaction.
const BATCH_CAP: usize = 512;

/// How an operation went, for the batch.
enum Verdict {
    /// Keep its writes.
    Done,
    /// Undo its writes (it refused: not found, conflict, invalid).
    Refused,
    /// SQLite failed: undo the whole batch.
    Failed(Error),
}

/// An operation waiting for the writer.
trait Job: Send {
    fn run(&mut self, book: &mut Book) -> Verdict;
    fn finish(self: Box<Self>, commit: &Result<(), Error>);
}

struct Op<T, F> {
    op: Option<F>,
    result: Option<Result<T, Error>>,
    reply: oneshot::Sender<Result<T, Error>>,
}

impl<T, F> Job for Op<T, F>
where
    T: Send,
    F: FnOnce(&mut Book) -> Result<T, Error> + Send,
{
    fn run(&mut self, book: &mut Book) -> Verdict {
        let Some(op) = self.op.take() else {
            return Verdict::Refused;
        };
        let result = op(book);
        let verdict = match &result {
            Ok(_) => Verdict::Done,
            Err(e) if e.is_retryable() => Verdict::Failed(e.clone()),
            Err(_) => Verdict::Refused,
        };
        self.result = Some(result);
        verdict
    }

    fn finish(self: Box<Self>, commit: &Result<(), Error>) {
        let answer = match (self.result, commit) {
            // A refusal stands whatever happened to the batch: it changed nothing.
            (Some(Err(e)), _) if !e.is_retryable() => Err(e),
            (Some(result), Ok(())) => result,
            (_, Err(e)) => Err(e.clone()),
            (None, Ok(())) => Err(Error::Closed),
        };
        // The caller may have gone away (a cancelled request); the change stands regardless.
        let _ = self.reply.send(answer);
    }
}

/// The handle operations are sent through; dropping it lets the writer finish what is
/// queued, then waits for the thread.
pub struct Writer {
    queue: Option<Sender<Box<dyn Job>>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    /// Starts the writer thread on `book`; `notify` is signalled after a commit that queued
    /// events in the outbox.
    pub fn start(book: Book, notify: Arc<Notify>) -> Result<Writer, Error> {
        let (queue, inbox) = mpsc::channel();
        let thread = thread::Builder::new()
            .name("shopflow-desk-writer".into())
            .spawn(move || run(book, &inbox, &notify))
            .map_err(|e| Error::Store {
                path: String::new(),
                op: "start the desk writer thread",
                message: e.to_string(),
            })?;
        Ok(Writer {
            queue: Some(queue),
            thread: Some(thread),
        })
    }

    /// Runs `op` in the writer's next transaction and answers once that has committed.
    /// Dropping the future does not withdraw the operation.
    pub async fn call<T, F>(&self, op: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut Book) -> Result<T, Error> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Box<dyn Job> = Box::new(Op {
            op: Some(op),
            result: None,
            reply,
        });
        self.queue
            .as_ref()
            .ok_or(Error::Closed)?
            .send(job)
            .map_err(|_| Error::Closed)?;
        answer.await.map_err(|_| Error::Closed)?
    }

    /// Runs `op` on `book` in a transaction of its own, before the thread starts (the
    /// desk's start-up work).
    pub fn run_now<T, F>(book: &mut Book, op: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut Book) -> Result<T, Error> + Send + 'static,
    {
        let (reply, mut answer) = oneshot::channel();
        let mut batch: Vec<Box<dyn Job>> = vec![Box::new(Op {
            op: Some(op),
            result: None,
            reply,
        })];
        let commit = commit(book, &mut batch);
        for job in batch {
            job.finish(&commit);
        }
        answer.try_recv().map_err(|_| Error::Closed)?
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        drop(self.queue.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the desk writer thread panicked");
        }
    }
}

fn run(mut book: Book, inbox: &Receiver<Box<dyn Job>>, notify: &Notify) {
    while let Ok(first) = inbox.recv() {
        let mut batch = vec![first];
        while batch.len() < BATCH_CAP {
            match inbox.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let commit = commit(&mut book, &mut batch);
        let signal = std::mem::take(&mut book.outbox_added) && commit.is_ok();
        for job in batch {
            job.finish(&commit);
        }
        if signal {
            notify.notify_one();
        }
    }
}

/// Runs `batch` in one transaction.
fn commit(book: &mut Book, batch: &mut [Box<dyn Job>]) -> Result<(), Error> {
    if book.stale {
        book.rebuild()?;
    }
    book.exec("BEGIN IMMEDIATE")?;
    let mut failure = None;
    for job in batch.iter_mut() {
        let step = book
            .exec("SAVEPOINT job")
            .and_then(|()| match job.run(book) {
                Verdict::Done => book.exec("RELEASE job"),
                Verdict::Refused => book
                    .exec("ROLLBACK TO job")
                    .and_then(|()| book.exec("RELEASE job")),
                Verdict::Failed(e) => Err(e),
            });
        if let Err(e) = step {
            failure = Some(e);
            break;
        }
    }
    let outcome = match failure {
        None => book.exec("COMMIT"),
        Some(e) => Err(e),
    };
    if let Err(e) = outcome {
        tracing::warn!(error = %e, "desk batch rolled back; its callers may retry");
        let _ = book.exec("ROLLBACK");
        book.outbox_added = false;
        if let Err(again) = book.rebuild() {
            tracing::error!(error = %again, "cannot re-read the desk's open tickets");
            book.stale = true;
        }
        return Err(e);
    }
    Ok(())
}
