//! The TCP side of the fake. Every connection's outgoing bytes pass through [`FaultyIo`], so that
//! an injected fault can break or stall an answer half-way through its body: axum's response
//! types can only describe whole answers.
//!
//! A handler arms the connection's [`Wire`] with a [`Plan`] before it returns; the plan then
//! governs the next answer written on that connection (HTTP/1 answers one request at a time).

use super::lock;
use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// What happens to the next answer written on a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Nothing is written; the connection breaks.
    Drop,
    /// The headers and `keep` body bytes go out, then the connection breaks.
    Cut { keep: usize },
    /// The headers and `keep` body bytes go out, then a pause, then the rest.
    Pause { keep: usize, pause: Duration },
}

/// One connection's pending plan, shared between its IO and the handlers it serves.
#[derive(Debug, Default)]
pub(crate) struct Wire {
    next: Mutex<Option<Plan>>,
}

impl Wire {
    pub fn arm(&self, plan: Plan) {
        *lock(&self.next) = Some(plan);
    }
}

/// The connect info handlers see: the peer (for `from ip` and 60020) and its connection.
#[derive(Clone, Debug)]
pub(crate) struct Peer {
    pub addr: SocketAddr,
    pub wire: Arc<Wire>,
}

impl Connected<IncomingStream<'_, Wired>> for Peer {
    fn connect_info(stream: IncomingStream<'_, Wired>) -> Self {
        Peer { addr: *stream.remote_addr(), wire: Arc::clone(&stream.io().wire) }
    }
}

/// A TCP listener whose connections are [`FaultyIo`].
pub(crate) struct Wired(pub TcpListener);

impl Listener for Wired {
    type Io = FaultyIo;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (FaultyIo, SocketAddr) {
        // axum's own accept retries (with a pause) on errors such as running out of descriptors.
        let (stream, addr) = Listener::accept(&mut self.0).await;
        // Answers are small: send each write at once, so a pause in a body is really observed.
        let _ = stream.set_nodelay(true);
        (FaultyIo { stream, wire: Arc::default(), active: None }, addr)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

pub(crate) struct FaultyIo {
    stream: TcpStream,
    wire: Arc<Wire>,
    /// The plan being carried out on the answer now being written.
    active: Option<Active>,
}

const HEADER_END: &[u8; 4] = b"\r\n\r\n";

struct Active {
    plan: Plan,
    /// Bytes of [`HEADER_END`] matched so far while still in the headers.
    matched: usize,
    /// Body bytes written; `None` while still in the headers.
    body_sent: Option<usize>,
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
}

fn step(matched: usize, byte: u8) -> usize {
    if HEADER_END.get(matched) == Some(&byte) {
        matched + 1
    } else {
        usize::from(byte == b'\r')
    }
}

impl Active {
    fn new(plan: Plan) -> Active {
        Active { plan, matched: 0, body_sent: None, pause: None }
    }

    /// How much of `buf` may be written before the plan's cut point.
    fn allowance(&self, buf: &[u8]) -> usize {
        let keep = match self.plan {
            Plan::Drop => return 0,
            Plan::Cut { keep } | Plan::Pause { keep, .. } => keep,
        };
        if let Some(sent) = self.body_sent {
            return keep.saturating_sub(sent).min(buf.len());
        }
        let mut matched = self.matched;
        for (i, byte) in buf.iter().enumerate() {
            matched = step(matched, *byte);
            if matched == HEADER_END.len() {
                let body_start = i + 1;
                return body_start + keep.min(buf.len() - body_start);
            }
        }
        buf.len()
    }

    /// Records what was actually written.
    fn advance(&mut self, written: &[u8]) {
        if let Some(sent) = self.body_sent.as_mut() {
            *sent += written.len();
            return;
        }
        for (i, byte) in written.iter().enumerate() {
            self.matched = step(self.matched, *byte);
            if self.matched == HEADER_END.len() {
                self.body_sent = Some(written.len() - i - 1);
                return;
            }
        }
    }
}

fn dropped() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionAborted, "fault injected: connection dropped")
}

impl AsyncRead for FaultyIo {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for FaultyIo {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.active.is_none() {
            this.active = lock(&this.wire.next).take().map(Active::new);
        }
        let Some(active) = this.active.as_mut() else {
            return Pin::new(&mut this.stream).poll_write(cx, buf);
        };
        let allowed = active.allowance(buf);
        if allowed == 0 && !buf.is_empty() {
            let Plan::Pause { pause, .. } = active.plan else {
                return Poll::Ready(Err(dropped()));
            };
            let sleep = active.pause.get_or_insert_with(|| Box::pin(tokio::time::sleep(pause)));
            ready!(sleep.as_mut().poll(cx));
            // The pause is over: the rest of the answer goes out untouched.
            this.active = None;
            return Pin::new(&mut this.stream).poll_write(cx, buf);
        }
        let written = ready!(Pin::new(&mut this.stream).poll_write(cx, &buf[..allowed]))?;
        active.advance(&buf[..written.min(allowed)]);
        Poll::Ready(Ok(written))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written_before_cut(plan: Plan, writes: &[&[u8]]) -> Vec<usize> {
        let mut active = Active::new(plan);
        writes
            .iter()
            .map(|w| {
                let n = active.allowance(w);
                active.advance(&w[..n]);
                n
            })
            .collect()
    }

    #[test]
    fn the_cut_falls_after_the_headers_and_the_kept_body_bytes() {
        let answer: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nabcdef";
        let head = answer.len() - 6;
        assert_eq!(written_before_cut(Plan::Cut { keep: 3 }, &[answer]), vec![head + 3]);
        assert_eq!(written_before_cut(Plan::Drop, &[answer]), vec![0]);
        // Headers split across writes, with the terminator itself split.
        let (a, b) = answer.split_at(head - 2);
        assert_eq!(written_before_cut(Plan::Cut { keep: 3 }, &[a, b, b"more"]), vec![a.len(), 5, 0]);
        // The body in its own writes.
        let (h, body) = answer.split_at(head);
        assert_eq!(written_before_cut(Plan::Cut { keep: 3 }, &[h, &body[..2], &body[2..]]), vec![head, 2, 1]);
        assert_eq!(written_before_cut(Plan::Cut { keep: 3 }, &[b"\r\r\n\r\nxyzw"]), vec![8]);
    }
}
