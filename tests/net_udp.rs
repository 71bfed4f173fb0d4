//! UDP round trips on spindle's own I/O driver.

#[macro_use]
mod common;

use spindle::net::UdpSocket;
use std::sync::Arc;

/// A UDP echo server and 8 clients, 50 round trips each (loopback does not drop datagrams
/// at this rate); the server's receiver and sender run as two tasks on one socket.
fn udp_round_trips(workers: usize) {
    let rt = common::rt(workers);
    rt.block_on(async {
        let server = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let saddr = server.local_addr().unwrap();
        let s = server.clone();
        spindle::spawn(async move {
            let mut buf = [0u8; 1500];
            loop {
                let (n, from) = s.recv_from(&mut buf).await.unwrap();
                s.send_to(&buf[..n], from).await.unwrap();
            }
        });
        let clients: Vec<_> = (0..8u8)
            .map(|i| {
                spindle::spawn(async move {
                    let c = UdpSocket::bind("127.0.0.1:0").await.unwrap();
                    let mut buf = [0u8; 64];
                    for j in 0..50u8 {
                        let msg = [i, j, 42];
                        c.send_to(&msg, saddr).await.unwrap();
                        let (n, from) = c.recv_from(&mut buf).await.unwrap();
                        assert_eq!((&buf[..n], from), (&msg[..], saddr));
                    }
                })
            })
            .collect();
        for c in clients {
            c.await.unwrap();
        }
    });
}

/// A datagram longer than the buffer is truncated to it, not an error.
fn udp_truncates_long_datagram(workers: usize) {
    let rt = common::rt(workers);
    rt.block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        a.send_to(&[7u8; 100], b.local_addr().unwrap())
            .await
            .unwrap();
        let mut small = [0u8; 10];
        let (n, _) = b.recv_from(&mut small).await.unwrap();
        assert_eq!(n, 10);
        assert_eq!(small, [7u8; 10]);
    });
}

rt_suite!(udp_round_trips, udp_truncates_long_datagram);
