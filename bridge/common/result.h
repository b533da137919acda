#pragma once
// Result<T>: a value or an error, for the request and delivery paths where exceptions are not used
// (DESIGN.md §5). E is the layer's error type; every layer translates its callee's errors in one
// place.

#include <cassert>
#include <utility>
#include <variant>

namespace kbridge {

template <class E>
struct Unexpected {
  E error;
};

template <class E>
Unexpected<E> fail(E e) {
  return Unexpected<E>{std::move(e)};
}

template <class T, class E>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Unexpected<E> u) : v_(std::in_place_index<1>, std::move(u.error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const E& error() const& {
    assert(!ok());
    return std::get<1>(v_);
  }
  E&& error() && {
    assert(!ok());
    return std::get<1>(std::move(v_));
  }

 private:
  std::variant<T, E> v_;
};

// Result<void>: success or an error.
template <class E>
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Unexpected<E> u) : err_(std::move(u.error)), ok_(false) {}

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const E& error() const& {
    assert(!ok_);
    return err_;
  }

 private:
  E err_{};
  bool ok_ = true;
};

}  // namespace kbridge
