use super::*;

#[tokio::test]
async fn over_the_per_api_limit_answers_45009() {
    let h = Harness::with(FakeConfig { rate_limit_per_min: 3, ..FakeConfig::default() });
    let token = h.token(1000002).await;
    for _ in 0..3 {
        assert_eq!(h.get(&format!("user/get?userid=clear&access_token={token}")).await["errcode"], 0);
    }
    assert_error(&h.get(&format!("user/get?userid=clear&access_token={token}")).await, 45009, "api freq out of limit");
    assert_eq!(h.get(&format!("tag/list?access_token={token}")).await["errcode"], 0, "limits are per API");

    // Valid codes are not metered, so logins keep working for the minute.
    for _ in 0..4 {
        let code = h.fake.mint_code(1000002, "clear");
        assert_eq!(h.get(&format!("auth/getuserinfo?code={code}&access_token={token}")).await["errcode"], 0);
    }
}

#[tokio::test]
async fn every_call_is_counted_by_path_including_refused_ones() {
    let h = Harness::new();
    let token = h.token(1000002).await;
    h.fake.reset_counts();
    h.get(&format!("user/get?userid=clear&access_token={token}")).await;
    h.get(&format!("user/get?userid=nobody&access_token={token}")).await;
    h.get("user/list?department_id=2&access_token=bad").await;
    h.get(&format!("gettoken?corpid={CORP}&corpsecret=wrong")).await;
    let (status, _) = h.status_of(reqwest::Method::GET, "/cgi-bin/no/such/api").await;
    assert_eq!(status, 404, "unknown paths are a bare 404 as on the real host");
    let counts = h.fake.request_counts();
    assert_eq!(counts.get("user/get"), Some(&2));
    assert_eq!(counts.get("user/list"), Some(&1));
    assert_eq!(counts.get("gettoken"), Some(&1));
    assert_eq!(counts.len(), 3, "{counts:?}");
    assert_eq!(h.fake.total_requests(), 4);
    h.fake.reset_counts();
    assert_eq!(h.fake.total_requests(), 0);
    assert!(h.fake.request_counts().is_empty());
}

#[tokio::test]
async fn latency_is_added_and_concurrency_tracked() {
    let h = Harness::with(FakeConfig { latency_ms: 150, ..FakeConfig::default() });
    let token = h.token(1000002).await;
    h.fake.reset_counts();
    let started = std::time::Instant::now();
    let url = format!("user/get?userid=clear&access_token={token}");
    let calls = (0..4).map(|_| h.get(&url));
    for body in futures_join_all(calls).await {
        assert_eq!(body["errcode"], 0);
    }
    let elapsed = started.elapsed();
    assert!(elapsed >= std::time::Duration::from_millis(150), "{elapsed:?}");
    assert!(elapsed < std::time::Duration::from_millis(1500), "concurrent, not serial: {elapsed:?}");
    assert!(h.fake.peak_in_flight() >= 2, "peak {}", h.fake.peak_in_flight());
}

/// Joins futures without pulling in the `futures` crate.
async fn futures_join_all<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut pinned: Vec<_> = futures.map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (slot, fut) in out.iter_mut().zip(pinned.iter_mut()) {
            if slot.is_none() {
                match fut.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *slot = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().flatten().collect()
}
