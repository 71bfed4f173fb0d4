//! TEMPORARY STUB of the public API (signatures only). Being replaced by the real runtime.
#![allow(missing_docs, unused_variables, dead_code, clippy::all)]
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

#[derive(Default, Debug)]
pub struct Builder;
impl Builder {
    pub fn new() -> Builder { Builder }
    pub fn worker_threads(&mut self, n: usize) -> &mut Self { self }
    pub fn thread_name(&mut self, prefix: impl Into<String>) -> &mut Self { self }
    pub fn timer_tick(&mut self, tick: Duration) -> &mut Self { self }
    pub fn on_callback_panic<F>(&mut self, f: F) -> &mut Self where F: Fn(Box<dyn std::any::Any + Send>) + Send + Sync + 'static { self }
    pub fn build(&mut self) -> std::io::Result<Runtime> { unimplemented!() }
}
#[derive(Debug)]
pub struct Runtime;
impl Runtime {
    pub fn new() -> std::io::Result<Runtime> { unimplemented!() }
    pub fn handle(&self) -> &Handle { unimplemented!() }
    pub fn block_on<F: Future>(&self, fut: F) -> F::Output { unimplemented!() }
    pub fn shutdown_timeout(self, timeout: Duration) { unimplemented!() }
}
#[derive(Clone, Debug)]
pub struct Handle;
impl Handle {
    pub fn current() -> Handle { unimplemented!() }
    pub fn try_current() -> Option<Handle> { unimplemented!() }
    pub fn spawn<F>(&self, fut: F) -> JoinHandle<F::Output> where F: Future + Send + 'static, F::Output: Send + 'static { unimplemented!() }
    pub fn call_soon<F>(&self, f: F) -> TimerHandle where F: FnOnce() + Send + 'static { unimplemented!() }
    pub fn call_later<F>(&self, delay: Duration, f: F) -> TimerHandle where F: FnOnce() + Send + 'static { unimplemented!() }
    pub fn call_at<F>(&self, when: Instant, f: F) -> TimerHandle where F: FnOnce() + Send + 'static { unimplemented!() }
    pub fn time(&self) -> Instant { unimplemented!() }
    pub fn sleep(&self, d: Duration) -> Sleep { unimplemented!() }
    pub fn sleep_until(&self, when: Instant) -> Sleep { unimplemented!() }
    pub fn timeout<F: Future>(&self, d: Duration, fut: F) -> Timeout<F> { unimplemented!() }
    pub fn create_future<T: Send + 'static>(&self) -> (Promise<T>, Deferred<T>) { unimplemented!() }
    pub fn metrics(&self) -> RuntimeMetrics { unimplemented!() }
}
pub fn spawn<F>(fut: F) -> JoinHandle<F::Output> where F: Future + Send + 'static, F::Output: Send + 'static { unimplemented!() }
pub fn call_soon<F>(f: F) -> TimerHandle where F: FnOnce() + Send + 'static { unimplemented!() }
pub fn call_later<F>(delay: Duration, f: F) -> TimerHandle where F: FnOnce() + Send + 'static { unimplemented!() }
pub fn call_at<F>(when: Instant, f: F) -> TimerHandle where F: FnOnce() + Send + 'static { unimplemented!() }
pub fn sleep(d: Duration) -> Sleep { unimplemented!() }
pub fn sleep_until(when: Instant) -> Sleep { unimplemented!() }
pub fn timeout<F: Future>(d: Duration, fut: F) -> Timeout<F> { unimplemented!() }
pub async fn yield_now() { unimplemented!() }

pub struct JoinHandle<T>(std::marker::PhantomData<T>);
impl<T> JoinHandle<T> { pub fn abort(&self) {} pub fn is_finished(&self) -> bool { unimplemented!() } }
impl<T> Future for JoinHandle<T> { type Output = Result<T, JoinError>; fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> { unimplemented!() } }
impl<T> Unpin for JoinHandle<T> {}
#[derive(Debug)]
pub struct JoinError;
impl JoinError { pub fn is_cancelled(&self) -> bool { unimplemented!() } pub fn is_panic(&self) -> bool { unimplemented!() }
    pub fn into_panic(self) -> Box<dyn std::any::Any + Send> { unimplemented!() } }
impl std::fmt::Display for JoinError { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { Ok(()) } }
impl std::error::Error for JoinError {}
#[derive(Clone, Debug)]
pub struct TimerHandle;
impl TimerHandle { pub fn cancel(&self) -> bool { unimplemented!() } pub fn is_cancelled(&self) -> bool { unimplemented!() } pub fn when(&self) -> Instant { unimplemented!() } }
pub struct Sleep;
impl Sleep { pub fn deadline(&self) -> Instant { unimplemented!() } pub fn is_elapsed(&self) -> bool { unimplemented!() }
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {} }
impl Future for Sleep { type Output = (); fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> { unimplemented!() } }
pub struct Timeout<F>(F);
impl<F: Future> Future for Timeout<F> { type Output = Result<F::Output, Elapsed>; fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> { unimplemented!() } }
#[derive(Debug)]
pub struct Elapsed;
impl std::fmt::Display for Elapsed { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { Ok(()) } }
impl std::error::Error for Elapsed {}
pub struct Promise<T>(std::marker::PhantomData<T>);
impl<T> Promise<T> { pub fn set_result(self, value: T) -> Result<(), T> { unimplemented!() } pub fn is_cancelled(&self) -> bool { unimplemented!() } }
pub struct Deferred<T>(std::marker::PhantomData<T>);
impl<T> Deferred<T> { pub fn cancel(&self) -> bool { unimplemented!() } pub fn is_done(&self) -> bool { unimplemented!() } }
impl<T> Future for Deferred<T> { type Output = Result<T, Cancelled>; fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> { unimplemented!() } }
impl<T> Unpin for Deferred<T> {}
#[derive(Debug)]
pub struct Cancelled;
impl std::fmt::Display for Cancelled { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { Ok(()) } }
impl std::error::Error for Cancelled {}
#[derive(Debug, Clone)]
pub struct RuntimeMetrics;
impl RuntimeMetrics { pub fn workers(&self) -> usize { 0 } pub fn timers_pending(&self) -> u64 { 0 } pub fn timers_fired(&self) -> u64 { 0 }
    pub fn timers_cancelled(&self) -> u64 { 0 } pub fn tasks_spawned(&self) -> u64 { 0 } pub fn steals(&self) -> u64 { 0 } }
