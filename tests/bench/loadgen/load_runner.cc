#include "tests/bench/loadgen/load_runner.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace jwtauth::loadgen {
namespace {

double Us(absl::Duration d) { return absl::ToDoubleMicroseconds(d); }

}  // namespace

LoadRunner::LoadRunner(const LoadFlags& flags, const TokenSet* tokens)
    : flags_(flags), tokens_(tokens), client_(flags, tokens, this) {}

// Every run waits for its calls, so none is outstanding here.
LoadRunner::~LoadRunner() = default;

void LoadRunner::Begin(Loop loop, bool record, int64_t total,
                       absl::Duration limit) {
  loop_ = loop;
  record_ = record;
  total_ = total;
  started_ = 0;
  finished_ = 0;
  errors_ = 0;
  outstanding_ = 1;  // the starter's guard, dropped by WaitForCalls
  done_ = std::make_unique<absl::Notification>();
  if (record) {
    all_.Reset();
    valid_.Reset();
    invalid_.Reset();
  }
  {
    absl::MutexLock lock(&mu_);
    free_.clear();
    for (const auto& slot : slots_) free_.push_back(slot.get());
  }
  start_ = absl::Now();
  deadline_ = start_ + limit;
}

void LoadRunner::WaitForCalls() {
  if (outstanding_.fetch_sub(1) == 1) done_->Notify();
  done_->WaitForNotification();
  end_ = absl::Now();
}

size_t LoadRunner::NextToken() {
  if (tokens_ == nullptr) return 0;
  const uint64_t n = tokens_->size();
  const uint64_t i = next_token_.fetch_add(1);
  if (!flags_.zigzag) return static_cast<size_t>(i % n);
  const uint64_t j = i % (2 * n);
  return static_cast<size_t>(j < n ? j : 2 * n - 1 - j);
}

CallSlot* LoadRunner::NewSlot() {
  auto slot = std::make_unique<CallSlot>();
  slot->index = static_cast<int>(slots_.size());
  client_.InitSlot(*slot);
  slots_.push_back(std::move(slot));
  return slots_.back().get();
}

void LoadRunner::Issue(CallSlot& slot, absl::Time scheduled) {
  outstanding_.fetch_add(1);
  slot.scheduled = scheduled;
  client_.Start(slot, NextToken());
}

int64_t LoadRunner::RunClosed(int64_t total, absl::Duration limit,
                              bool record) {
  Begin(Loop::kClosed, record, total, limit);
  while (slots_.size() < static_cast<size_t>(flags_.inflight)) NewSlot();
  for (int i = 0; i < flags_.inflight; ++i) {
    if (started_.fetch_add(1) >= total_ || absl::Now() >= deadline_) break;
    Issue(*slots_[static_cast<size_t>(i)], absl::Now());
  }
  WaitForCalls();
  return errors_.load();
}

CallSlot* LoadRunner::AcquireSlot(absl::Time deadline) {
  {
    absl::MutexLock lock(&mu_);
    if (!free_.empty()) {
      CallSlot* slot = free_.back();
      free_.pop_back();
      return slot;
    }
  }
  if (slots_.size() < static_cast<size_t>(flags_.max_outstanding)) {
    return NewSlot();
  }
  absl::MutexLock lock(&mu_);
  auto has_free = [this]()
                      ABSL_NO_THREAD_SAFETY_ANALYSIS { return !free_.empty(); };
  if (!mu_.AwaitWithDeadline(absl::Condition(&has_free), deadline)) {
    return nullptr;
  }
  CallSlot* slot = free_.back();
  free_.pop_back();
  return slot;
}

int64_t LoadRunner::RunOpen(int64_t total, absl::Duration limit) {
  Begin(Loop::kOpen, true, total, limit);
  const absl::Duration interval = absl::Seconds(1.0 / flags_.rate);
  for (int64_t i = 0; i < total_; ++i) {
    // The schedule is fixed up front: a late sender does not move it, so
    // its lateness shows in the latency of the calls it delays.
    const absl::Time due = start_ + interval * i;
    if (due >= deadline_) break;
    const absl::Time now = absl::Now();
    if (due > now) absl::SleepFor(due - now);
    CallSlot* slot = AcquireSlot(deadline_);
    if (slot == nullptr) break;
    started_.fetch_add(1);
    Issue(*slot, due);
  }
  WaitForCalls();
  return errors_.load();
}

void LoadRunner::OnComplete(CallSlot& slot, bool as_expected) {
  const absl::Time now = absl::Now();
  if (record_) {
    const absl::Duration latency = now - slot.scheduled;
    all_.Record(latency);
    const bool valid = tokens_ == nullptr || tokens_->valid(slot.token);
    (valid ? valid_ : invalid_).Record(latency);
  }
  if (!as_expected) errors_.fetch_add(1);
  finished_.fetch_add(1);
  if (loop_ == Loop::kClosed) {
    // The slot is reused at once; nothing below may touch it.
    if (started_.fetch_add(1) < total_ && now < deadline_) Issue(slot, now);
  } else {
    absl::MutexLock lock(&mu_);
    free_.push_back(&slot);
  }
  if (outstanding_.fetch_sub(1) == 1) done_->Notify();
}

std::string LoadRunner::ClassReport(const char* prefix,
                                    const LatencyHistogram& h) const {
  return absl::StrFormat(
      " %srequests=%d %sp50_us=%.0f %sp90_us=%.0f %sp99_us=%.0f "
      "%sp999_us=%.0f %smax_us=%.0f",
      prefix, h.count(), prefix, Us(h.Percentile(0.50)), prefix,
      Us(h.Percentile(0.90)), prefix, Us(h.Percentile(0.99)), prefix,
      Us(h.Percentile(0.999)), prefix, Us(h.max()));
}

std::string LoadRunner::Report() const {
  const double secs = absl::ToDoubleSeconds(end_ - start_);
  const int64_t n = finished_.load();
  std::string line = absl::StrFormat(
      "mode=%s method=%s loop=%s requests=%d errors=%d seconds=%.2f "
      "rps=%.0f p50_us=%.0f p90_us=%.0f p99_us=%.0f p999_us=%.0f "
      "max_us=%.0f channels=%d",
      flags_.label, MethodName(flags_.method),
      loop_ == Loop::kOpen ? "open" : "closed", n, errors_.load(), secs,
      secs > 0 ? static_cast<double>(n) / secs : 0.0, Us(all_.Percentile(0.50)),
      Us(all_.Percentile(0.90)), Us(all_.Percentile(0.99)),
      Us(all_.Percentile(0.999)), Us(all_.max()), flags_.channels);
  if (loop_ == Loop::kOpen) {
    absl::StrAppendFormat(&line, " rate=%.0f max_outstanding=%d", flags_.rate,
                          flags_.max_outstanding);
  } else {
    absl::StrAppendFormat(&line, " inflight=%d", flags_.inflight);
  }
  if (tokens_ != nullptr) {
    absl::StrAppendFormat(&line, " alg=%s tokens=%d", AlgorithmName(flags_.alg),
                          tokens_->size());
    if (tokens_->invalid_count() > 0) {
      absl::StrAppend(&line, ClassReport("valid_", valid_),
                      ClassReport("invalid_", invalid_));
    }
  }
  return line;
}

}  // namespace jwtauth::loadgen
