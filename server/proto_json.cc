#include "server/proto_json.h"

#include <cmath>
#include <string>

#include "absl/status/status.h"

namespace jwtauth::server {

void JsonToValue(const nlohmann::json& json, google::protobuf::Value* out) {
  switch (json.type()) {
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
      out->set_null_value(google::protobuf::NULL_VALUE);
      return;
    case nlohmann::json::value_t::boolean:
      out->set_bool_value(json.get<bool>());
      return;
    case nlohmann::json::value_t::number_integer:
      out->set_number_value(static_cast<double>(json.get<int64_t>()));
      return;
    case nlohmann::json::value_t::number_unsigned:
      out->set_number_value(static_cast<double>(json.get<uint64_t>()));
      return;
    case nlohmann::json::value_t::number_float:
      out->set_number_value(json.get<double>());
      return;
    case nlohmann::json::value_t::string:
      out->set_string_value(json.get_ref<const std::string&>());
      return;
    case nlohmann::json::value_t::array: {
      auto* list = out->mutable_list_value();
      for (const auto& item : json) JsonToValue(item, list->add_values());
      return;
    }
    case nlohmann::json::value_t::object: {
      auto* fields = out->mutable_struct_value()->mutable_fields();
      for (const auto& [key, item] : json.items()) {
        JsonToValue(item, &(*fields)[key]);
      }
      return;
    }
    case nlohmann::json::value_t::binary:
      out->set_null_value(google::protobuf::NULL_VALUE);
      return;
  }
  out->set_null_value(google::protobuf::NULL_VALUE);
}

absl::StatusOr<google::protobuf::Struct> JsonToStruct(
    const nlohmann::json& json) {
  if (!json.is_object()) {
    return absl::InvalidArgumentError("claims must be a JSON object");
  }
  google::protobuf::Value v;
  JsonToValue(json, &v);
  return std::move(*v.mutable_struct_value());
}

nlohmann::json ValueToJson(const google::protobuf::Value& value) {
  switch (value.kind_case()) {
    case google::protobuf::Value::kBoolValue:
      return value.bool_value();
    case google::protobuf::Value::kNumberValue: {
      const double d = value.number_value();
      if (!std::isfinite(d)) return nullptr;
      // Integral values within the exact range stay integers ("exp":
      // 1700000000, not 1.7e9), so claims look the way a JSON author wrote
      // them.
      if (std::trunc(d) == d && std::fabs(d) <= 9007199254740992.0) {
        return static_cast<int64_t>(d);
      }
      return d;
    }
    case google::protobuf::Value::kStringValue:
      return value.string_value();
    case google::protobuf::Value::kListValue: {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& item : value.list_value().values()) {
        arr.push_back(ValueToJson(item));
      }
      return arr;
    }
    case google::protobuf::Value::kStructValue:
      return StructToJson(value.struct_value());
    case google::protobuf::Value::kNullValue:
    case google::protobuf::Value::KIND_NOT_SET:
      break;
  }
  return nullptr;
}

nlohmann::json StructToJson(const google::protobuf::Struct& s) {
  nlohmann::json obj = nlohmann::json::object();
  for (const auto& [key, value] : s.fields()) obj[key] = ValueToJson(value);
  return obj;
}

google::protobuf::Timestamp ToProtoTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t secs = absl::ToUnixSeconds(t);
  ts.set_seconds(secs);
  ts.set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(secs))));
  return ts;
}

absl::Time FromProtoTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

google::protobuf::Duration ToProtoDuration(absl::Duration d) {
  google::protobuf::Duration out;
  const int64_t secs = absl::IDivDuration(d, absl::Seconds(1), &d);
  out.set_seconds(secs);
  out.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(d)));
  return out;
}

absl::Duration FromProtoDuration(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

}  // namespace jwtauth::server
