use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Barrier};

use super::{Once, Outcome};

#[test]
fn built_once_when_many_threads_ask_at_once() {
    let once = Arc::new(Once::<usize>::default());
    let builds = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(8));
    let never = Arc::new(AtomicBool::new(false));
    let handles: Vec<_> = (0..8)
        .map(|n| {
            let (once, builds, barrier, never) = (
                Arc::clone(&once),
                Arc::clone(&builds),
                Arc::clone(&barrier),
                Arc::clone(&never),
            );
            std::thread::spawn(move || {
                barrier.wait();
                let build = || {
                    builds.fetch_add(1, Ordering::SeqCst);
                    42
                };
                match n % 3 {
                    0 => {
                        let b = Arc::clone(&builds);
                        once.start(
                            "test-once",
                            move || {
                                b.fetch_add(1, Ordering::SeqCst);
                                Some(42)
                            },
                            |_| {},
                        );
                        once.wait(build, &never)
                    }
                    1 => once.wait(build, &never),
                    _ => Some(once.get_or_build(build)),
                }
            })
        })
        .collect();
    let values: Vec<Arc<usize>> = handles
        .into_iter()
        .map(|h| h.join().unwrap().unwrap())
        .collect();
    assert_eq!(builds.load(Ordering::SeqCst), 1, "one build in all");
    assert!(values.iter().all(|v| **v == 42));
    assert!(
        values.windows(2).all(|w| Arc::ptr_eq(&w[0], &w[1])),
        "every caller gets the same Arc"
    );
    assert!(once.is_ready());
    assert!(Arc::ptr_eq(&once.get().unwrap(), &values[0]));
}

#[test]
fn wait_returns_what_the_worker_built_and_the_hook_sees_it() {
    let once = Arc::new(Once::<String>::default());
    assert!(once.get().is_none());
    let (tx, rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    assert!(once.start(
        "test-once",
        move || {
            go_rx.recv().unwrap();
            Some("built".to_owned())
        },
        move |o| tx.send(o).unwrap(),
    ));
    assert!(!once.is_ready(), "held until the test lets it go");
    // A second start while one runs starts nothing.
    assert!(once.start("test-once", || unreachable!(), |_| unreachable!()));
    go_tx.send(()).unwrap();
    let never = AtomicBool::new(false);
    let waited = once
        .wait(|| unreachable!("the worker builds it"), &never)
        .unwrap();
    let Outcome::Built(from_hook) = rx.recv().unwrap() else {
        panic!("the build succeeded");
    };
    assert!(Arc::ptr_eq(&waited, &from_hook));
    assert_eq!(*waited, "built");
    // Once built, nothing builds it again.
    assert!(once.start("test-once", || unreachable!(), |_| unreachable!()));
    assert!(Arc::ptr_eq(&once.get_or_build(|| unreachable!()), &waited));
}

#[test]
fn a_wait_gives_way_to_a_cancel_and_a_later_build_wakes_the_next() {
    let once = Arc::new(Once::<u32>::default());
    once.pretend_started();
    let cancel = AtomicBool::new(true);
    assert!(once.wait(|| unreachable!(), &cancel).is_none());
    let waiter = {
        let once = Arc::clone(&once);
        std::thread::spawn(move || {
            let never = AtomicBool::new(false);
            once.wait(|| unreachable!("the test builds it"), &never)
        })
    };
    let built = once.get_or_build(|| 7);
    assert!(Arc::ptr_eq(&waiter.join().unwrap().unwrap(), &built));
}

#[test]
fn a_failed_or_cancelled_worker_leaves_the_build_to_whoever_waits() {
    let once = Arc::new(Once::<u32>::default());
    let (tx, rx) = mpsc::channel();
    let hook = tx.clone();
    assert!(once.start("test-once", || None, move |o| hook.send(o).unwrap()));
    assert!(matches!(rx.recv().unwrap(), Outcome::Cancelled));
    assert!(!once.is_ready());
    assert!(once.start(
        "test-once",
        || panic!("a build that fails"),
        move |o| tx.send(o).unwrap()
    ));
    assert!(matches!(rx.recv().unwrap(), Outcome::Failed));
    let never = AtomicBool::new(false);
    assert_eq!(*once.wait(|| 3, &never).unwrap(), 3, "built by the waiter");
}
