use super::*;

fn same(a: &str, b: &str) -> bool {
    fold(a) == fold(b)
}

#[test]
fn each_folding_rule() {
    assert!(same("الاراضي", "الأراضي"), "hamza on alef");
    assert!(same("اسلام", "إسلام"));
    assert!(same("امن", "آمن"));
    assert!(same("الله", "ٱلله"), "wasla");
    assert!(same("جدا", "جداً"), "tanween");
    assert!(same("محمد", "مُحَمَّدٌ"), "tashkeel");
    assert!(same("عربي", "عـــربي"), "tatweel");
    assert!(same("مسؤول", "مسئول"), "hamza seats");
    assert!(same("على", "علي"), "alef maqsura");
    assert!(same("مدرسة", "مدرسه"), "taa marbuta");
    assert!(same("٢٠١٧", "2017"), "Arabic-Indic digits");
    assert!(same("۲۰۱۷", "2017"), "extended digits");
    assert!(same("کتاب", "كتاب"), "Persian kaf");
    assert!(same("ایران", "ايران"), "Persian yeh");
    assert!(same("BBC News", "bbc\u{a0}news"), "case and NBSP");
    assert!(same("ÉCOLE", "école"));
    assert!(same("می‌خواهم", "میخواهم"), "ZWNJ");
    assert!(same("\u{202B}نص\u{202C}", "نص"), "bidi controls");
}

#[test]
fn different_letters_stay_different() {
    assert!(!same("ماكجورك", "ماكغورك"));
    assert!(!same("ج", "غ"));
    assert!(!same("ح", "خ"));
    let text = "ماكغورك";
    assert!(!Query::parse("ماكجورك").matches(&fold(text)));
    assert!(Query::parse("ماكغورك").matches(&fold(text)));
}

#[test]
fn matches_map_back_to_source_bytes() {
    let src = "قال المسؤولُ إنَّ الأراضي";
    let f = Folded::new(src);
    let q = Query::parse("الاراضي");
    let m = f.find_all(&q);
    assert_eq!(m.len(), 1);
    assert_eq!(src.get(m[0].clone()).unwrap(), "الأراضي");
    let m = f.find_all(&Query::parse("مسئول"));
    assert_eq!(
        src.get(m[0].clone()).unwrap(),
        "مسؤولُ".trim_end_matches('\u{064F}')
    );
    // A match ending in a letter carrying a haraka: the mark follows the letter in the
    // source and is dropped from the folded text, so the range ends at the letter.
    let m = f.find_all(&Query::parse("ان"));
    assert_eq!(
        src.get(m[0].clone()).unwrap(),
        "إنَّ".trim_end_matches(['\u{064E}', '\u{0651}'])
    );
}

#[test]
fn words_and_phrases() {
    let q = Query::parse("  داعش  \"من الأراضي\" «Nov 2017» ");
    assert_eq!(q.terms, vec!["داعش", "من الاراضي", "nov 2017"]);
    let text = fold("فقد 95% من الأراضي (Thu - 16 Nov 2017) وداعش");
    assert!(q.matches(&text));
    assert!(!Query::parse("\"الاراضي من\"").matches(&text));
    assert!(
        Query::parse("الاراضي من").matches(&text),
        "words in any order"
    );
    assert!(
        !Query::parse("داعش بغداد").matches(&text),
        "all words must occur"
    );
    assert!(Query::parse("   ").is_empty());
    assert_eq!(
        Query::parse("\"unclosed phrase").terms,
        vec!["unclosed phrase"]
    );
}

#[test]
fn waiting_for_the_index_gives_way_to_a_cancel() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let lib = Arc::new(Library::embedded());
    let shared = Arc::new(SharedIndex::default());
    shared.pretend_building();
    let cancel = Arc::new(AtomicBool::new(false));
    let waiter = {
        let (shared, lib, cancel) = (Arc::clone(&shared), Arc::clone(&lib), Arc::clone(&cancel));
        std::thread::spawn(move || shared.wait(&lib, &cancel).is_some())
    };
    cancel.store(true, Ordering::Release);
    assert!(
        !waiter.join().unwrap(),
        "a cancelled wait ends without the index"
    );
    let never = Arc::new(AtomicBool::new(false));
    let waiter = {
        let (shared, lib, never) = (Arc::clone(&shared), Arc::clone(&lib), Arc::clone(&never));
        std::thread::spawn(move || shared.wait(&lib, &never).map(|i| i.len()))
    };
    let built = shared.get_or_build(&lib);
    assert_eq!(
        waiter.join().unwrap(),
        Some(built.len()),
        "the build wakes the waiter"
    );
    // A cancelled search gives no hits rather than some.
    let stop = AtomicBool::new(true);
    assert!(
        built
            .search_cancellable(&Query::parse("hostage"), None, &stop)
            .is_none()
    );
    assert_eq!(
        built.search_cancellable(&Query::parse("hostage"), None, &AtomicBool::new(false)),
        Some(built.search(&Query::parse("hostage")))
    );
}

#[test]
fn snippet_windows_cut_at_words() {
    let text = "one two three four five six seven eight nine ten eleven twelve";
    let at = text.find("six").unwrap();
    let (w, inner) = snippet_window(text, &(at..at + 3), 24);
    let s = text.get(w.clone()).unwrap();
    assert!(s.starts_with("four") || s.starts_with("five"), "{s:?}");
    assert_eq!(s.get(inner).unwrap(), "six");
    assert!(!s.ends_with(' '));
    let (w, inner) = snippet_window("ab", &(0..2), 10);
    assert_eq!((w, inner), (0..2, 0..2));
}
