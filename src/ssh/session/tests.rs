use super::*;

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn window_changes_keep_only_the_newest_size_until_due() {
    let m = Mailbox::default();
    for i in 0..20_000u16 {
        m.resize((80 + i % 7, 24));
    }
    m.resize((90, 30));
    let t = m.take(false);
    assert_eq!(t.size, None);
    assert!(t.size_waiting);
    let t = m.take(true);
    assert_eq!(t.size, Some((90, 30)));
    assert!(!m.take(true).size_waiting);
}

#[test]
fn input_is_taken_in_batches_and_the_producer_waits_when_full() {
    let m = std::sync::Arc::new(Mailbox::default());
    block_on(m.push(&vec![b'j'; INBOX_LIMIT]));
    let before = m.take(true).last_input;
    // Full: this push waits until the session takes some.
    let m2 = std::sync::Arc::clone(&m);
    let taker = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        m2.take(true)
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // Fill it again (the first take made room for one batch).
        m.push(&[b'k'; INPUT_BATCH]).await;
        m.push(b"q").await;
    });
    let t = taker.join().unwrap();
    assert_eq!(t.data.len(), INPUT_BATCH);
    assert!(t.more);
    assert!(t.last_input >= before);
    let mut total = 2 * INPUT_BATCH;
    let mut last = Vec::new();
    loop {
        let t = m.take(true);
        assert!(t.data.len() <= INPUT_BATCH);
        total += t.data.len();
        if !t.data.is_empty() {
            last = t.data;
        }
        if !t.more {
            break;
        }
    }
    assert_eq!(total, INBOX_LIMIT + INPUT_BATCH + 1);
    assert_eq!(last.last(), Some(&b'q'));
}

#[test]
fn an_ended_session_releases_a_waiting_producer() {
    let m = std::sync::Arc::new(Mailbox::default());
    block_on(m.push(&vec![b'j'; INBOX_LIMIT]));
    let m2 = std::sync::Arc::clone(&m);
    let ender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        m2.end();
    });
    block_on(m.push(b"more"));
    ender.join().unwrap();
    assert!(m.stopping());
}

#[test]
fn wait_returns_on_news_or_at_the_deadline() {
    let m = std::sync::Arc::new(Mailbox::default());
    let start = Instant::now();
    m.wait(start + Duration::from_millis(30), false, start);
    assert!(start.elapsed() >= Duration::from_millis(30));
    let m2 = std::sync::Arc::clone(&m);
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        m2.wake_app();
    });
    m.wait(Instant::now() + Duration::from_secs(60), false, start);
    t.join().unwrap();
    assert!(m.take(true).woken);
    // Output going out wakes only a session that holds a frame back.
    m.sent();
    let start = Instant::now();
    m.wait(start + Duration::from_millis(30), false, start);
    assert!(start.elapsed() >= Duration::from_millis(30));
    m.sent();
    m.wait(Instant::now() + Duration::from_secs(60), true, start);
    // A size that comes during a wait wakes it when the size is due, not at the deadline.
    let start = Instant::now();
    let m2 = std::sync::Arc::clone(&m);
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(5));
        m2.resize((100, 30));
    });
    m.wait(
        start + Duration::from_secs(5),
        false,
        start + Duration::from_millis(30),
    );
    t.join().unwrap();
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(m.take(true).size, Some((100, 30)));
}

/// A session on the embedded library at 80×24, its screen's output counted per frame.
fn session() -> (
    App,
    Screen<SessionBackend>,
    tokio::sync::mpsc::UnboundedReceiver<Vec<u8>>,
) {
    let config = crate::config::Config::default();
    let lib = std::sync::Arc::new(crate::library::Library::embedded());
    let mut app = App::new(
        lib,
        &config,
        crate::store::Shelf::in_memory(),
        crate::layout::Options::default(),
    );
    app.handle(crate::app::Input::Resize(80, 24));
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let queued = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let backend = SessionBackend::new(
        super::super::output::ChannelWriter {
            buf: Vec::new(),
            tx,
            queued: std::sync::Arc::clone(&queued),
        },
        crate::layout::BidiMode::App,
        ratatui::layout::Size::new(80, 24),
    );
    let theme = crate::ui::Theme::new(
        &config.theme,
        crate::ui::Colors::detect(Some("xterm-256color"), None, None),
    );
    (app, Screen::new(backend, theme).unwrap(), rx)
}

fn frames(rx: &mut tokio::sync::mpsc::UnboundedReceiver<Vec<u8>>) -> usize {
    std::iter::from_fn(|| rx.try_recv().ok()).count()
}

#[test]
fn a_flood_of_keys_is_handled_in_batches_with_one_frame_at_most_each() {
    let (mut app, mut screen, mut rx) = session();
    let m = Mailbox::default();
    let mut keys = b"\r".to_vec();
    keys.extend(b"jk".repeat(INBOX_LIMIT / 2 - 1));
    keys.push(b'q');
    block_on(m.push(&keys));
    let end = run(
        &mut app,
        &mut screen,
        &m,
        Duration::from_secs(600),
        &Faults::default(),
    )
    .unwrap();
    assert_eq!(end, End::Quit, "every key was handled, the last one too");
    let drawn = frames(&mut rx);
    let batches = keys.len().div_ceil(INPUT_BATCH);
    assert!(
        (1..=batches + 1).contains(&drawn),
        "{drawn} frames for {} keys in {batches} batches",
        keys.len()
    );
}

#[test]
fn a_session_ends_when_idle_closed_or_shut_down() {
    let (mut app, mut screen, _rx) = session();
    let m = Mailbox::default();
    let idle = Duration::from_millis(50);
    assert_eq!(
        run(&mut app, &mut screen, &m, idle, &Faults::default()).unwrap(),
        End::Idle
    );
    // A window change is not input.
    let (mut app, mut screen, _rx) = session();
    let m = std::sync::Arc::new(Mailbox::default());
    let m2 = std::sync::Arc::clone(&m);
    let resizer = std::thread::spawn(move || {
        for i in 0..20u16 {
            m2.resize((80 + i, 24));
            std::thread::sleep(Duration::from_millis(10));
        }
    });
    assert_eq!(
        run(
            &mut app,
            &mut screen,
            &m,
            Duration::from_millis(100),
            &Faults::default()
        )
        .unwrap(),
        End::Idle
    );
    resizer.join().unwrap();
    let (mut app, mut screen, _rx) = session();
    let m = Mailbox::default();
    m.close();
    assert_eq!(
        run(
            &mut app,
            &mut screen,
            &m,
            Duration::from_secs(600),
            &Faults::default()
        )
        .unwrap(),
        End::Closed
    );
    let (mut app, mut screen, _rx) = session();
    let m = Mailbox::default();
    m.shutdown();
    assert_eq!(
        run(
            &mut app,
            &mut screen,
            &m,
            Duration::from_secs(600),
            &Faults::default()
        )
        .unwrap(),
        End::Shutdown
    );
}

#[test]
fn the_newest_window_size_is_the_one_applied() {
    let (mut app, mut screen, _rx) = session();
    let m = std::sync::Arc::new(Mailbox::default());
    for i in 0..1000u16 {
        m.resize((60 + i % 50, 20 + i % 30));
    }
    m.resize((100, 30));
    let m2 = std::sync::Arc::clone(&m);
    let quitter = std::thread::spawn(move || {
        // After the size is due, a key that quits.
        std::thread::sleep(RESIZE_EVERY * 3);
        block_on(m2.push(b"q"));
    });
    assert_eq!(
        run(
            &mut app,
            &mut screen,
            &m,
            Duration::from_secs(600),
            &Faults::default()
        )
        .unwrap(),
        End::Quit
    );
    quitter.join().unwrap();
    assert_eq!(app.size(), (100, 30));
}

#[test]
fn durations_are_said_plainly() {
    assert_eq!(spoken(Duration::from_secs(1800)), "30 min");
    assert_eq!(spoken(Duration::from_secs(2)), "2 s");
    assert_eq!(spoken(Duration::from_secs(7200)), "2 h");
    assert_eq!(spoken(Duration::from_secs(90)), "90 s");
    assert_eq!(spoken(Duration::from_millis(500)), "500 ms");
}
