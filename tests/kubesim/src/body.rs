//! Response bodies: a full buffer or a stream of chunks (watch).

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::mpsc;

pub enum RespBody {
    Full(Option<Bytes>),
    Stream(mpsc::Receiver<Bytes>),
    /// Fails at once: the server drops the connection (fault injection).
    Abort,
}

#[derive(Debug)]
pub struct Aborted;

impl std::fmt::Display for Aborted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by kubesim fault")
    }
}

impl std::error::Error for Aborted {}

impl RespBody {
    pub fn full(b: impl Into<Bytes>) -> Self {
        RespBody::Full(Some(b.into()))
    }
}

impl Body for RespBody {
    type Data = Bytes;
    type Error = Aborted;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Aborted>>> {
        match self.get_mut() {
            RespBody::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            RespBody::Stream(rx) => rx.poll_recv(cx).map(|o| o.map(|b| Ok(Frame::data(b)))),
            RespBody::Abort => Poll::Ready(Some(Err(Aborted))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, RespBody::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            RespBody::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            RespBody::Full(None) => SizeHint::with_exact(0),
            RespBody::Stream(_) | RespBody::Abort => SizeHint::default(),
        }
    }
}

/// Reads a whole request body.
pub async fn collect<B>(mut body: B) -> Result<Vec<u8>, String>
where
    B: Body + Unpin,
    B::Error: std::fmt::Display,
{
    let mut out = Vec::new();
    loop {
        let frame = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await;
        match frame {
            None => return Ok(out),
            Some(Err(e)) => return Err(e.to_string()),
            Some(Ok(f)) => {
                if let Ok(mut d) = f.into_data() {
                    use bytes::Buf;
                    while d.has_remaining() {
                        let c = d.chunk();
                        let n = c.len();
                        out.extend_from_slice(c);
                        d.advance(n);
                    }
                }
            }
        }
    }
}
