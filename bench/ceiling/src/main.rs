//! The ceiling for orgusers benchmarks: the least an HTTP/1 server on hyper can do per request.
//! It answers every request with the same JSON body of a given size, so orgusers can be measured
//! as a ratio of it for a body of the same size.
//!
//! Usage: `orgusers-bench-ceiling ADDR BODY_BYTES`; prints `listening on http://ADDR` first.

use std::convert::Infallible;
use std::io::Write as _;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Response, header};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:0".into());
    let size: usize = args.next().unwrap_or_else(|| "1000".into()).parse()?;
    // A JSON string of exactly `size` bytes, as orgusers answers JSON.
    let body = Bytes::from(format!("\"{}\"", "x".repeat(size.saturating_sub(2))));
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async move {
            let listener = TcpListener::bind(&addr).await?;
            println!("listening on http://{}", listener.local_addr()?);
            std::io::stdout().flush()?;
            loop {
                let (stream, _) = listener.accept().await?;
                let _ = stream.set_nodelay(true);
                let body = body.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |_req| {
                        let body = body.clone();
                        async move {
                            Ok::<_, Infallible>(
                                Response::builder()
                                    .header(header::CONTENT_TYPE, "application/json")
                                    .body(Full::new(body))
                                    .unwrap_or_default(),
                            )
                        }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        })
}
