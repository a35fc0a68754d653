#include "core/jwks_refresher.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/jwk.h"

namespace jwtauth {
namespace {

constexpr size_t kMaxAskedKidsPerSource = 1024;
constexpr size_t kMaxRememberedKidBytes = 256;

}  // namespace

// All mutable members are guarded by JwksRefresher::mu_ (annotations cannot
// name the outer mutex from here); `config`, `id` and `discovery_url` are
// immutable.
struct JwksRefresher::Source {
  JwksSourceConfig config;
  std::string id;
  std::string discovery_url;

  std::string jwks_url;  // configured, or found by discovery
  std::string etag;
  std::string last_modified;
  absl::flat_hash_set<std::string> kids;       // of the last good set
  absl::flat_hash_set<std::string> asked;      // unknown kids since fetch start
  absl::Time next_due = absl::InfinitePast();  // due at once
  EarlyRefetchLimiter early;                   // unknown-kid refetches
  JwksSourceStats stats;
};

absl::string_view JwksEventTypeName(JwksEvent::Type type) {
  switch (type) {
    case JwksEvent::Type::kLoaded:
      return "jwks_loaded";
    case JwksEvent::Type::kNotModified:
      return "jwks_not_modified";
    case JwksEvent::Type::kFetchFailed:
      return "jwks_fetch_failed";
    case JwksEvent::Type::kKeysDropped:
      return "jwks_keys_dropped";
  }
  return "unknown";
}

absl::StatusOr<std::unique_ptr<JwksRefresher>> JwksRefresher::Create(
    JwksRefresherOptions options, std::vector<JwksSourceConfig> sources,
    KeyStore* store, JwksFetcher* fetcher, const Clock* clock) {
  if (store == nullptr || fetcher == nullptr || clock == nullptr) {
    return absl::InvalidArgumentError("jwks refresher: missing dependency");
  }
  if (!(options.jitter_fraction >= 0.0 && options.jitter_fraction <= 1.0)) {
    return absl::InvalidArgumentError(
        "jwks refresher: jitter_fraction must be in [0, 1]");
  }
  if (options.unknown_kid_min_interval < absl::ZeroDuration() ||
      options.initial_backoff <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("jwks refresher: invalid intervals");
  }
  absl::flat_hash_set<std::string> ids;
  for (const JwksSourceConfig& s : sources) {
    if (absl::Status st = ValidateJwksSourceConfig(s); !st.ok()) return st;
    if (!ids.insert(absl::StrCat(s.provider, "\n", JwksSourceId(s))).second) {
      return absl::InvalidArgumentError("jwks source: duplicate URL");
    }
  }
  return std::unique_ptr<JwksRefresher>(new JwksRefresher(
      std::move(options), std::move(sources), store, fetcher, clock));
}

JwksRefresher::JwksRefresher(JwksRefresherOptions options,
                             std::vector<JwksSourceConfig> sources,
                             KeyStore* store, JwksFetcher* fetcher,
                             const Clock* clock)
    : options_(std::move(options)),
      store_(store),
      fetcher_(fetcher),
      clock_(clock),
      negative_(options_.negative_cache_ttl,
                options_.negative_cache_max_entries) {
  for (JwksSourceConfig& config : sources) {
    auto s = std::make_unique<Source>();
    s->id = JwksSourceId(config);
    s->discovery_url = DiscoveryUrl(config);
    s->jwks_url = config.url;
    s->stats.provider = config.provider;
    s->stats.source_id = s->id;
    s->stats.url = s->jwks_url;
    s->config = std::move(config);
    store_->MarkSourcePending(s->config.provider, s->id);
    // A config reload builds a new refresher while the store keeps the last
    // good set of an unchanged URL: start from it (loaded, last success =
    // its refresh stamp) so readiness and max_stale carry over instead of
    // flapping to unready until the IdP answers again.
    for (const SourceInfo& info : store_->Sources()) {
      if (info.provider == s->config.provider && info.source_id == s->id &&
          !info.pending && info.key_count > 0 &&
          info.refreshed_at != absl::InfinitePast()) {
        s->stats.loaded = true;
        s->stats.keys_loaded = info.key_count;
        s->stats.last_success = info.refreshed_at;
      }
    }
    by_provider_[s->config.provider].push_back(sources_.size());
    completed_[s->config.provider] = 0;
    sources_.push_back(std::move(s));
  }
}

JwksRefresher::~JwksRefresher() { Stop(); }

void JwksRefresher::Start() {
  absl::MutexLock lock(&mu_);
  if (started_ || stop_) return;
  started_ = true;
  thread_ = std::thread([this] { Run(); });
}

void JwksRefresher::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  cancel_.store(true);
  if (thread_.joinable()) thread_.join();
}

bool JwksRefresher::AllAttempted() const {
  for (const auto& s : sources_) {
    if (!s->stats.attempted) return false;
  }
  return true;
}

bool JwksRefresher::WaitForInitialLoad(absl::Duration timeout) {
  {
    absl::MutexLock lock(&mu_);
    struct Done {
      const JwksRefresher* r;
      bool operator()() const ABSL_NO_THREAD_SAFETY_ANALYSIS {
        return r->stop_ || r->AllAttempted();
      }
    } done{this};
    mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
  }
  return IsReady();
}

bool JwksRefresher::IsReady() const {
  absl::MutexLock lock(&mu_);
  for (const auto& s : sources_) {
    if (!s->stats.loaded) return false;
  }
  return true;
}

void JwksRefresher::RefreshOnce() {
  for (size_t i = 0; i < sources_.size(); ++i) {
    absl::MutexLock fetch_lock(&fetch_mu_);
    RefreshSource(i, /*early=*/false);
  }
}

void JwksRefresher::Wake() {
  absl::MutexLock lock(&mu_);
  wake_ = true;
}

void JwksRefresher::ScheduleEarlyLocked(size_t index, absl::Time now) {
  if (sources_[index]->early.Request(now, options_.unknown_kid_min_interval)) {
    wake_ = true;
  }
}

void JwksRefresher::OnUnknownKid(absl::string_view provider,
                                 absl::string_view kid) {
  absl::MutexLock lock(&mu_);
  auto it = by_provider_.find(provider);
  if (it == by_provider_.end() || stop_) return;
  const absl::Time now = clock_->Now();
  if (negative_.Contains(provider, kid, now)) {
    for (size_t i : it->second) {
      ++sources_[i]->stats.unknown_kid_requests;
      ++sources_[i]->stats.unknown_kid_suppressed;
    }
    return;  // recently refetched and still unknown
  }
  for (size_t i : it->second) {
    Source& s = *sources_[i];
    ++s.stats.unknown_kid_requests;
    if (s.asked.size() < kMaxAskedKidsPerSource &&
        kid.size() <= kMaxRememberedKidBytes) {
      s.asked.emplace(kid);
    }
    ScheduleEarlyLocked(i, now);
  }
}

bool JwksRefresher::OnUnknownKidAndWait(absl::string_view provider,
                                        absl::string_view kid,
                                        absl::Duration max_wait) {
  uint64_t before;
  {
    absl::MutexLock lock(&mu_);
    auto it = completed_.find(provider);
    if (it == completed_.end()) return false;
    before = it->second;
  }
  OnUnknownKid(provider, kid);
  absl::MutexLock lock(&mu_);
  struct Changed {
    const JwksRefresher* r;
    const uint64_t* counter;
    uint64_t before;
    bool operator()() const ABSL_NO_THREAD_SAFETY_ANALYSIS {
      return r->stop_ || *counter != before;
    }
  } changed{this, &completed_.find(provider)->second, before};
  return mu_.AwaitWithTimeout(absl::Condition(&changed), max_wait) && !stop_;
}

std::vector<JwksSourceStats> JwksRefresher::Stats() const {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  std::vector<JwksSourceStats> out;
  out.reserve(sources_.size());
  for (const auto& s : sources_) {
    JwksSourceStats st = s->stats;
    st.url = s->jwks_url;
    st.early_refetch_due = s->early.due();
    st.age = st.last_success == absl::InfinitePast()
                 ? absl::InfiniteDuration()
                 : std::max(now - st.last_success, absl::ZeroDuration());
    out.push_back(std::move(st));
  }
  return out;
}

double JwksRefresher::Random() {
  if (options_.random) return options_.random();
  absl::MutexLock lock(&random_mu_);
  return absl::Uniform(bitgen_, 0.0, 1.0);
}

absl::Duration JwksRefresher::Backoff(const JwksSourceConfig& config,
                                      int failures) {
  const absl::Duration normal = ClampDuration(
      config.refresh.default_interval, config.refresh.min, config.refresh.max);
  absl::Duration d = options_.initial_backoff;
  for (int i = 1; i < failures && d < normal; ++i) d *= 2;
  d = std::min(d, normal);
  RefreshBounds bounds{
      .default_interval = normal, .min = absl::ZeroDuration(), .max = normal};
  return ApplyJitter(d, options_.jitter_fraction, Random(), bounds);
}

void JwksRefresher::Emit(const JwksEvent& event) {
  if (options_.on_event) options_.on_event(event);
}

void JwksRefresher::RememberUnknownLocked(
    const std::string& provider, const absl::flat_hash_set<std::string>& asked,
    absl::Time now) {
  if (asked.empty()) return;
  const std::vector<size_t>& indices = by_provider_[provider];
  for (const std::string& kid : asked) {
    bool known = false;
    for (size_t i : indices) {
      if (sources_[i]->kids.contains(kid)) known = true;
    }
    if (known) {
      negative_.Forget(provider, kid);
    } else {
      negative_.Remember(provider, kid, now);
    }
  }
}

// What one fetch of a source starts from, copied under mu_ so the network
// part runs without it.
struct JwksRefresher::Attempt {
  bool early = false;
  absl::Time started;
  std::string jwks_url;
  std::string etag;
  std::string last_modified;
  bool have_good = false;
  bool rediscover = false;
  absl::flat_hash_set<std::string> asked;  // unknown kids this fetch serves
};

// What RecordLocked tells RefreshSource to do after releasing mu_.
struct JwksRefresher::Recorded {
  JwksEvent event;
  bool dropped = false;  // max_stale exceeded: empty the store's source
};

// What the network part found.
struct JwksRefresher::Result {
  enum class Outcome { kLoaded, kNotModified, kFailed };
  Outcome outcome = Outcome::kFailed;
  absl::Status error;
  FetchResponse response;
  std::vector<Key> keys;
  std::vector<std::string> skipped;  // import reasons, one per entry
};

std::optional<JwksRefresher::Attempt> JwksRefresher::BeginAttempt(Source& s,
                                                                  bool early) {
  absl::MutexLock lock(&mu_);
  if (stop_) return std::nullopt;
  Attempt a;
  a.started = clock_->Now();
  a.early = s.early.BeginFetch(a.started, early);
  if (a.early) ++s.stats.early_refetches;
  a.asked.swap(s.asked);
  a.jwks_url = s.jwks_url;
  a.etag = s.etag;
  a.last_modified = s.last_modified;
  a.have_good = s.stats.loaded;
  a.rediscover = !s.discovery_url.empty() &&
                 (a.jwks_url.empty() || s.stats.consecutive_failures > 0);
  return a;
}

JwksRefresher::Result JwksRefresher::FetchSource(const Source& s, Attempt& a) {
  const JwksSourceConfig& config = s.config;
  Result result;
  if (a.rediscover) {
    absl::StatusOr<std::string> uri =
        DiscoverJwksUri(*fetcher_, config, &cancel_);
    if (!uri.ok()) {
      result.error = uri.status();
      return result;
    }
    if (*uri != a.jwks_url) {  // a new URL: its validators mean nothing
      a.etag.clear();
      a.last_modified.clear();
    }
    a.jwks_url = *std::move(uri);
  }
  FetchRequest req{.url = a.jwks_url,
                   .if_none_match = a.have_good ? a.etag : "",
                   .if_modified_since = a.have_good ? a.last_modified : "",
                   .timeout = config.timeout,
                   .allow_insecure = config.allow_insecure,
                   .redirect_hosts = config.redirect_hosts,
                   .cancel = &cancel_};
  absl::StatusOr<FetchResponse> r = fetcher_->Fetch(req);
  if (!r.ok()) {
    result.error = r.status();
    return result;
  }
  result.response = *std::move(r);
  if (result.response.status == 304 && a.have_good) {
    result.outcome = Result::Outcome::kNotModified;
  } else if (result.response.status != 200) {
    result.error = absl::UnavailableError(
        absl::StrCat("HTTP status ", result.response.status));
  } else {
    ImportBody(s, result);
  }
  return result;
}

void JwksRefresher::ImportBody(const Source& s, Result& result) {
  JwkImportOptions import_options;
  import_options.source = s.id;
  import_options.loaded_at = clock_->Now();
  import_options.max_keys = s.config.max_keys;
  // The same strength floors as configured keys, and never a secret.
  import_options.strength = s.config.strength;
  import_options.allow_symmetric = false;
  absl::StatusOr<JwksImport> imported =
      ImportJwks(result.response.body, import_options);
  if (!imported.ok()) {
    result.error = absl::InvalidArgumentError(
        absl::StrCat("JWKS rejected: ", imported.status().message()));
    return;
  }
  result.skipped = std::move(imported->skipped);
  if (imported->keys.empty()) {
    result.error = absl::InvalidArgumentError(absl::StrCat(
        "JWKS has no usable keys (", result.skipped.size(), " skipped)"));
    return;
  }
  result.keys = std::move(imported->keys);
  result.outcome = Result::Outcome::kLoaded;
}

absl::flat_hash_set<std::string> JwksRefresher::Publish(const Source& s,
                                                        Result& result) {
  absl::flat_hash_set<std::string> kids;
  const JwksSourceConfig& config = s.config;
  if (result.outcome == Result::Outcome::kLoaded) {
    for (Key& k : result.keys) {
      if (!k.kid().empty()) kids.insert(k.kid());
      if (!config.issuer.empty()) k = k.BoundToIssuer(config.issuer);
    }
    // The store serialises writers; fetch_mu_ keeps our publishes in order.
    store_->SetSourceKeys(config.provider, s.id, std::move(result.keys));
  } else if (result.outcome == Result::Outcome::kNotModified) {
    // Same keys, freshly confirmed: only the source's refresh stamp moves.
    store_->MarkSourceRefreshed(config.provider, s.id);
  }
  return kids;
}

absl::Duration JwksRefresher::RecordSuccessLocked(
    Source& s, const Attempt& a, const Result& result, size_t key_count,
    absl::flat_hash_set<std::string> kids, absl::Time now) {
  const JwksSourceConfig& config = s.config;
  const FetchResponse& response = result.response;
  JwksSourceStats& st = s.stats;
  CacheHeaders headers{.cache_control = response.Header("cache-control"),
                       .expires = response.Header("expires"),
                       .date = response.Header("date"),
                       .age = response.Header("age")};
  absl::Duration delay =
      ApplyJitter(RefreshDelayFromHeaders(headers, config.refresh, now),
                  options_.jitter_fraction, Random(), config.refresh);
  st.last_success = now;
  st.consecutive_failures = 0;
  st.last_error.clear();
  if (result.outcome == Result::Outcome::kLoaded) {
    ++st.fetch_ok;
    st.loaded = true;
    st.keys_loaded = key_count;
    s.kids = std::move(kids);
    s.etag = std::string(response.Header("etag"));
    s.last_modified = std::string(response.Header("last-modified"));
  } else {
    ++st.fetch_not_modified;
    if (absl::string_view e = response.Header("etag"); !e.empty()) {
      s.etag = std::string(e);
    }
  }
  RememberUnknownLocked(config.provider, a.asked, now);
  return delay;
}

absl::Duration JwksRefresher::RecordFailureLocked(Source& s,
                                                  const absl::Status& error) {
  JwksSourceStats& st = s.stats;
  ++st.fetch_failed;
  ++st.consecutive_failures;
  st.last_error = error.ToString();
  return Backoff(s.config, st.consecutive_failures);
}

bool JwksRefresher::DropIfStaleLocked(Source& s, absl::Time now) {
  JwksSourceStats& st = s.stats;
  if (!st.loaded || now - st.last_success <= s.config.max_stale) return false;
  st.loaded = false;
  st.keys_loaded = 0;
  s.kids.clear();
  s.etag.clear();
  s.last_modified.clear();
  return true;
}

JwksRefresher::Recorded JwksRefresher::RecordLocked(
    Source& s, const Attempt& a, Result& result, size_t key_count,
    absl::flat_hash_set<std::string> kids) {
  const absl::Time now = clock_->Now();
  JwksSourceStats& st = s.stats;
  st.attempted = true;
  st.last_attempt = a.started;
  s.jwks_url = a.jwks_url;
  absl::Duration delay;
  bool dropped = false;
  if (result.outcome != Result::Outcome::kFailed) {
    delay = RecordSuccessLocked(s, a, result, key_count, std::move(kids), now);
  } else {
    delay = RecordFailureLocked(s, result.error);
    dropped = DropIfStaleLocked(s, now);
  }
  s.next_due = now + delay;
  st.next_refresh = s.next_due;
  ++completed_[s.config.provider];
  JwksEvent event;
  event.provider = s.config.provider;
  event.source_id = s.id;
  event.url = a.jwks_url.empty() ? s.discovery_url : a.jwks_url;
  event.keys = st.keys_loaded;
  event.skipped = result.skipped.size();
  event.skipped_reasons = std::move(result.skipped);
  event.early = a.early;
  event.next_refresh = s.next_due;
  event.status = result.error;
  event.type = result.outcome == Result::Outcome::kLoaded
                   ? JwksEvent::Type::kLoaded
               : result.outcome == Result::Outcome::kNotModified
                   ? JwksEvent::Type::kNotModified
                   : JwksEvent::Type::kFetchFailed;
  return {std::move(event), dropped};
}

void JwksRefresher::RefreshSource(size_t index, bool early) {
  Source& s = *sources_[index];
  std::optional<Attempt> attempt = BeginAttempt(s, early);
  if (!attempt.has_value()) return;
  Result result = FetchSource(s, *attempt);
  if (cancel_.load() && result.outcome == Result::Outcome::kFailed) {
    return;  // shutting down
  }
  const size_t key_count = result.keys.size();
  absl::flat_hash_set<std::string> kids = Publish(s, result);

  Recorded recorded;
  {
    absl::MutexLock lock(&mu_);
    recorded = RecordLocked(s, *attempt, result, key_count, std::move(kids));
  }
  const JwksEvent& event = recorded.event;
  const bool dropped = recorded.dropped;
  if (dropped) {
    store_->SetSourceKeys(s.config.provider, s.id, {});
    store_->MarkSourcePending(s.config.provider, s.id);
  }
  Emit(event);
  if (dropped) {
    JwksEvent drop = event;
    drop.type = JwksEvent::Type::kKeysDropped;
    drop.keys = 0;
    Emit(drop);
  }
}

void JwksRefresher::Run() {
  while (true) {
    size_t pick = sources_.size();
    bool early = false;
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
      const absl::Time now = clock_->Now();
      absl::Time soonest = absl::InfiniteFuture();
      absl::Time best = absl::InfiniteFuture();
      for (size_t i = 0; i < sources_.size(); ++i) {
        const Source& s = *sources_[i];
        absl::Time due = std::min(s.next_due, s.early.due());
        if (due <= now && (pick == sources_.size() || due < best)) {
          pick = i;
          best = due;
          early = s.early.due() <= now;
        }
        soonest = std::min(soonest, due);
      }
      if (pick == sources_.size()) {
        wake_ = false;
        mu_.AwaitWithTimeout(absl::Condition(this, &JwksRefresher::StopOrWake),
                             soonest - now);
        continue;
      }
    }
    absl::MutexLock fetch_lock(&fetch_mu_);
    RefreshSource(pick, early);
  }
}

}  // namespace jwtauth
