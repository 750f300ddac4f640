//! A TCP relay on loopback between a server and its database, which a test
//! can cut (every connection closed, new ones refused) and restore: the
//! database becomes unreachable for that one server, as when a network or
//! the database host fails, while the cluster goes on serving other tests.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Relays 127.0.0.1:`port` to `upstream` until dropped.
pub struct Relay {
    pub port: u16,
    cut: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
    stopped: Arc<AtomicBool>,
}

impl Relay {
    pub fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the relay");
        listener.set_nonblocking(true).expect("non-blocking");
        let port = listener.local_addr().expect("address").port();
        let relay = Self {
            port,
            cut: Arc::new(AtomicBool::new(false)),
            open: Arc::new(Mutex::new(Vec::new())),
            stopped: Arc::new(AtomicBool::new(false)),
        };
        let (cut, open, stopped) = (
            Arc::clone(&relay.cut),
            Arc::clone(&relay.open),
            Arc::clone(&relay.stopped),
        );
        std::thread::spawn(move || {
            while !stopped.load(Ordering::Acquire) {
                match listener.accept() {
                    Ok((client, _)) if cut.load(Ordering::Acquire) => drop(client),
                    Ok((client, _)) => connect(client, upstream, &open),
                    Err(error) if error.kind() == ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err(_) => return,
                }
            }
        });
        relay
    }

    /// Closes every relayed connection and refuses new ones.
    pub fn cut(&self) {
        self.cut.store(true, Ordering::Release);
        close_all(&self.open);
    }

    /// Relays again.
    pub fn restore(&self) {
        self.cut.store(false, Ordering::Release);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::Release);
        close_all(&self.open);
    }
}

fn close_all(open: &Mutex<Vec<TcpStream>>) {
    let mut open = open.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    for stream in open.drain(..) {
        let _ = stream.shutdown(Shutdown::Both);
    }
}

/// Pipes `client` to a new connection to `upstream`, both ways.
fn connect(client: TcpStream, upstream: SocketAddr, open: &Mutex<Vec<TcpStream>>) {
    let Ok(server) = TcpStream::connect(upstream) else {
        return;
    };
    let _ = client.set_nonblocking(false);
    let streams = (
        client.try_clone(),
        server.try_clone(),
        client.try_clone(),
        server.try_clone(),
    );
    let (Ok(client_in), Ok(server_out), Ok(client_kept), Ok(server_kept)) = streams else {
        return;
    };
    {
        let mut open = open.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        open.push(client_kept);
        open.push(server_kept);
    }
    std::thread::spawn(move || pipe(client_in, server_out));
    std::thread::spawn(move || pipe(server, client));
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    let mut buffer = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(read) => {
                if to.write_all(&buffer[..read]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}
