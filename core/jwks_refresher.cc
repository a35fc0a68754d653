#include "core/jwks_refresher.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "core/json_limits.h"
#include "core/jwk.h"

namespace jwtauth {
namespace {

constexpr size_t kMaxAskedKidsPerSource = 1024;
constexpr size_t kMaxRememberedKidBytes = 256;

// Discovery documents are small; the limits keep a hostile one cheap.
JsonLimits DiscoveryJsonLimits() {
  return JsonLimits{.max_bytes = 1024 * 1024,
                    .max_depth = 8,
                    .max_values = 20000,
                    .max_object_members = 1000,
                    .require_object = true};
}

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
  absl::flat_hash_set<std::string> kids;   // of the last good set
  absl::flat_hash_set<std::string> asked;  // unknown kids since fetch start
  absl::Time next_due = absl::InfinitePast();   // due at once
  absl::Time early_due = absl::InfiniteFuture();  // no early refetch pending
  absl::Time last_early = absl::InfinitePast();
  JwksSourceStats stats;
};

std::string DiscoveryUrl(const JwksSourceConfig& source) {
  if (!source.discovery_url.empty()) return source.discovery_url;
  if (source.discover && !source.issuer.empty()) {
    return absl::StrCat(absl::StripSuffix(source.issuer, "/"),
                        "/.well-known/openid-configuration");
  }
  return "";
}

std::string JwksSourceId(const JwksSourceConfig& source) {
  if (!source.url.empty()) return absl::StrCat("jwks:", source.url);
  return absl::StrCat("oidc:", DiscoveryUrl(source));
}

absl::Status ValidateJwksSourceConfig(const JwksSourceConfig& s) {
  if (s.provider.empty()) {
    return absl::InvalidArgumentError("jwks source: provider is empty");
  }
  int forms = (s.url.empty() ? 0 : 1) + (s.discovery_url.empty() ? 0 : 1) +
              (s.discover ? 1 : 0);
  if (forms != 1) {
    return absl::InvalidArgumentError(
        "jwks source: set exactly one of url, discovery_url, discover");
  }
  std::string url = s.url.empty() ? DiscoveryUrl(s) : s.url;
  if (url.empty()) {
    return absl::InvalidArgumentError("jwks source: discovery needs issuer");
  }
  if (s.url.empty() && s.issuer.empty()) {
    return absl::InvalidArgumentError(
        "jwks source: discovery needs the expected issuer");
  }
  if (absl::Status st = ValidateFetchUrl(url, s.allow_insecure); !st.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("jwks source: ", st.message()));
  }
  for (const std::string& host : s.redirect_hosts) {
    if (absl::Status st = ValidateRedirectHost(host); !st.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("jwks source: redirect_hosts: ", st.message()));
    }
  }
  const RefreshBounds& r = s.refresh;
  if (!(r.min > absl::ZeroDuration() && r.min <= r.default_interval &&
        r.default_interval <= r.max && r.max < absl::InfiniteDuration())) {
    return absl::InvalidArgumentError(
        "jwks source: refresh needs 0 < min <= default <= max");
  }
  if (s.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("jwks source: timeout must be positive");
  }
  if (s.max_keys == 0) {
    return absl::InvalidArgumentError("jwks source: max_keys must be positive");
  }
  if (s.max_stale <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "jwks source: max_stale must be positive");
  }
  return absl::OkStatus();
}

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
      clock_(clock) {
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
  Source& s = *sources_[index];
  if (s.early_due != absl::InfiniteFuture()) return;  // already pending
  // Rate limit: at most one unknown-kid refetch per window; a request inside
  // the window defers it to the window's end instead of dropping it.
  s.early_due = std::max(now, s.last_early + options_.unknown_kid_min_interval);
  wake_ = true;
}

void JwksRefresher::OnUnknownKid(absl::string_view provider,
                                 absl::string_view kid) {
  absl::MutexLock lock(&mu_);
  auto it = by_provider_.find(provider);
  if (it == by_provider_.end() || stop_) return;
  const absl::Time now = clock_->Now();
  if (auto neg = negative_.find(provider); neg != negative_.end()) {
    if (auto k = neg->second.find(kid);
        k != neg->second.end() && k->second > now) {
      for (size_t i : it->second) {
        ++sources_[i]->stats.unknown_kid_requests;
        ++sources_[i]->stats.unknown_kid_suppressed;
      }
      return;  // recently refetched and still unknown
    }
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
  return mu_.AwaitWithTimeout(absl::Condition(&changed), max_wait) &&
         !stop_;
}

std::vector<JwksSourceStats> JwksRefresher::Stats() const {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  std::vector<JwksSourceStats> out;
  out.reserve(sources_.size());
  for (const auto& s : sources_) {
    JwksSourceStats st = s->stats;
    st.url = s->jwks_url;
    st.early_refetch_due = s->early_due;
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
  const absl::Duration normal =
      ClampDuration(config.refresh.default_interval, config.refresh.min,
                    config.refresh.max);
  absl::Duration d = options_.initial_backoff;
  for (int i = 1; i < failures && d < normal; ++i) d *= 2;
  d = std::min(d, normal);
  RefreshBounds bounds{.default_interval = normal,
                       .min = absl::ZeroDuration(),
                       .max = normal};
  return ApplyJitter(d, options_.jitter_fraction, Random(), bounds);
}

void JwksRefresher::Emit(const JwksEvent& event) {
  if (options_.on_event) options_.on_event(event);
}

absl::StatusOr<std::string> JwksRefresher::Discover(
    const JwksSourceConfig& config) {
  FetchRequest req{.url = DiscoveryUrl(config),
                   .timeout = config.timeout,
                   .allow_insecure = config.allow_insecure,
                   .redirect_hosts = config.redirect_hosts,
                   .cancel = &cancel_};
  absl::StatusOr<FetchResponse> r = fetcher_->Fetch(req);
  if (!r.ok()) {
    return absl::Status(r.status().code(),
                        absl::StrCat("discovery: ", r.status().message()));
  }
  if (r->status != 200) {
    return absl::UnavailableError(
        absl::StrCat("discovery: HTTP status ", r->status));
  }
  absl::StatusOr<nlohmann::json> doc =
      ParseJsonBounded(r->body, DiscoveryJsonLimits());
  if (!doc.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("discovery: ", doc.status().message()));
  }
  auto issuer = doc->find("issuer");
  if (issuer == doc->end() || !issuer->is_string() ||
      issuer->get<std::string>() != config.issuer) {
    return absl::FailedPreconditionError(
        "discovery: issuer does not equal the configured issuer");
  }
  auto uri = doc->find("jwks_uri");
  if (uri == doc->end() || !uri->is_string()) {
    return absl::InvalidArgumentError("discovery: jwks_uri missing");
  }
  std::string jwks_uri = uri->get<std::string>();
  if (absl::Status s = ValidateFetchUrl(jwks_uri, config.allow_insecure);
      !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("discovery: jwks_uri refused: ", s.message()));
  }
  return jwks_uri;
}

void JwksRefresher::RememberUnknownLocked(
    const std::string& provider, const absl::flat_hash_set<std::string>& asked,
    absl::Time now) {
  if (asked.empty()) return;
  const std::vector<size_t>& indices = by_provider_[provider];
  auto& neg = negative_[provider];
  for (const std::string& kid : asked) {
    bool known = false;
    for (size_t i : indices) {
      if (sources_[i]->kids.contains(kid)) known = true;
    }
    if (known) {
      if (neg.erase(kid) > 0) --negative_entries_;
      continue;
    }
    if (negative_entries_ >= options_.negative_cache_max_entries) {
      // Full: drop expired entries, and everything if that is not enough.
      negative_entries_ = 0;
      for (auto& [p, kids] : negative_) {
        absl::erase_if(kids, [now](const auto& e) { return e.second <= now; });
        negative_entries_ += kids.size();
      }
      if (negative_entries_ >= options_.negative_cache_max_entries) {
        for (auto& [p, kids] : negative_) kids.clear();
        negative_entries_ = 0;
      }
    }
    if (options_.negative_cache_max_entries == 0) return;
    auto [it, inserted] = neg.insert_or_assign(kid, now + options_.negative_cache_ttl);
    if (inserted) ++negative_entries_;
  }
}

void JwksRefresher::RefreshSource(size_t index, bool early) {
  Source& s = *sources_[index];
  const JwksSourceConfig& config = s.config;
  std::string jwks_url, etag, last_modified;
  bool have_good, rediscover;
  absl::flat_hash_set<std::string> asked;
  absl::Time started;
  {
    absl::MutexLock lock(&mu_);
    if (stop_) return;
    started = clock_->Now();
    if (early || s.early_due <= started) {
      early = true;
      s.last_early = started;
      ++s.stats.early_refetches;
    }
    s.early_due = absl::InfiniteFuture();  // this fetch serves those requests
    asked.swap(s.asked);
    jwks_url = s.jwks_url;
    etag = s.etag;
    last_modified = s.last_modified;
    have_good = s.stats.loaded;
    rediscover = !s.discovery_url.empty() &&
                 (jwks_url.empty() || s.stats.consecutive_failures > 0);
  }

  enum class Outcome { kLoaded, kNotModified, kFailed } outcome =
      Outcome::kFailed;
  absl::Status error;
  FetchResponse response;
  std::vector<Key> keys;
  std::vector<std::string> skipped;  // import reasons, one per entry

  if (rediscover) {
    absl::StatusOr<std::string> uri = Discover(config);
    if (uri.ok()) {
      if (*uri != jwks_url) {  // a new URL: its validators mean nothing
        etag.clear();
        last_modified.clear();
      }
      jwks_url = *std::move(uri);
    } else {
      error = uri.status();
    }
  }
  if (error.ok()) {
    FetchRequest req{.url = jwks_url,
                     .if_none_match = have_good ? etag : "",
                     .if_modified_since = have_good ? last_modified : "",
                     .timeout = config.timeout,
                     .allow_insecure = config.allow_insecure,
                     .redirect_hosts = config.redirect_hosts,
                     .cancel = &cancel_};
    absl::StatusOr<FetchResponse> r = fetcher_->Fetch(req);
    if (!r.ok()) {
      error = r.status();
    } else {
      response = *std::move(r);
      if (response.status == 304 && have_good) {
        outcome = Outcome::kNotModified;
      } else if (response.status != 200) {
        error = absl::UnavailableError(
            absl::StrCat("HTTP status ", response.status));
      } else {
        JwkImportOptions import_options;
        import_options.source = s.id;
        import_options.loaded_at = clock_->Now();
        import_options.max_keys = config.max_keys;
        // The same strength floors as configured keys, and never a secret.
        import_options.strength = config.strength;
        import_options.allow_symmetric = false;
        absl::StatusOr<JwksImport> imported =
            ImportJwks(response.body, import_options);
        if (!imported.ok()) {
          error = absl::InvalidArgumentError(
              absl::StrCat("JWKS rejected: ", imported.status().message()));
        } else {
          skipped = std::move(imported->skipped);
          if (imported->keys.empty()) {
            error = absl::InvalidArgumentError(absl::StrCat(
                "JWKS has no usable keys (", skipped.size(), " skipped)"));
          } else {
            keys = std::move(imported->keys);
            outcome = Outcome::kLoaded;
          }
        }
      }
    }
  }
  if (cancel_.load() && outcome == Outcome::kFailed) return;  // shutting down

  absl::flat_hash_set<std::string> kids;
  const size_t key_count = keys.size();
  if (outcome == Outcome::kLoaded) {
    for (Key& k : keys) {
      if (!k.kid().empty()) kids.insert(k.kid());
      if (!config.issuer.empty()) k = k.BoundToIssuer(config.issuer);
    }
    // The store serialises writers; fetch_mu_ keeps our publishes in order.
    store_->SetSourceKeys(config.provider, s.id, std::move(keys));
  } else if (outcome == Outcome::kNotModified) {
    // Same keys, freshly confirmed: only the source's refresh stamp moves.
    store_->MarkSourceRefreshed(config.provider, s.id);
  }

  JwksEvent event;
  bool dropped = false;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    JwksSourceStats& st = s.stats;
    st.attempted = true;
    st.last_attempt = started;
    s.jwks_url = jwks_url;
    absl::Duration delay;
    if (outcome != Outcome::kFailed) {
      CacheHeaders headers{.cache_control = response.Header("cache-control"),
                           .expires = response.Header("expires"),
                           .date = response.Header("date"),
                           .age = response.Header("age")};
      delay = ApplyJitter(RefreshDelayFromHeaders(headers, config.refresh, now),
                          options_.jitter_fraction, Random(), config.refresh);
      st.last_success = now;
      st.consecutive_failures = 0;
      st.last_error.clear();
      if (outcome == Outcome::kLoaded) {
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
      RememberUnknownLocked(config.provider, asked, now);
    } else {
      ++st.fetch_failed;
      ++st.consecutive_failures;
      st.last_error = error.ToString();
      delay = Backoff(config, st.consecutive_failures);
      if (st.loaded && now - st.last_success > config.max_stale) {
        st.loaded = false;
        st.keys_loaded = 0;
        s.kids.clear();
        s.etag.clear();
        s.last_modified.clear();
        dropped = true;
      }
    }
    s.next_due = now + delay;
    st.next_refresh = s.next_due;
    ++completed_[config.provider];
    event.provider = config.provider;
    event.source_id = s.id;
    event.url = jwks_url.empty() ? s.discovery_url : jwks_url;
    event.keys = st.keys_loaded;
    event.skipped = skipped.size();
    event.skipped_reasons = std::move(skipped);
    event.early = early;
    event.next_refresh = s.next_due;
    event.status = error;
    event.type = outcome == Outcome::kLoaded        ? JwksEvent::Type::kLoaded
                 : outcome == Outcome::kNotModified ? JwksEvent::Type::kNotModified
                                                    : JwksEvent::Type::kFetchFailed;
  }
  if (dropped) {
    store_->SetSourceKeys(config.provider, s.id, {});
    store_->MarkSourcePending(config.provider, s.id);
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
        absl::Time due = std::min(s.next_due, s.early_due);
        if (due <= now && (pick == sources_.size() || due < best)) {
          pick = i;
          best = due;
          early = s.early_due <= now;
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
