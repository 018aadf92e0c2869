#include "lib/sandbox/wire.hpp"

#include <optional>

#include "lib/sandbox/exec_protocol.hpp"
#include "lib/sandbox/protocol.hpp"

namespace harness::sandbox {
namespace {

// sh text with a fresh nonce per command; output that is not the current command's is ignored.
class ShWire final : public Wire {
 public:
  explicit ShWire(const ChannelLimits& limits) : m_limits(limits) {}
  std::string greeting() override {
    return protocol::bootstrap_script(m_limits, protocol::new_nonce());
  }
  harness::Result<std::string> begin(const ExecRequest& req) override {
    std::string nonce = protocol::new_nonce();
    m_parser.emplace(nonce, req.output_cap);
    return protocol::encode_command(nonce, req);
  }
  void feed(std::string_view data) override {
    if (m_parser) m_parser->feed(data);
  }
  bool started() const override { return m_parser && m_parser->started(); }
  bool done() const override { return m_parser && m_parser->done(); }
  bool malformed() const override { return m_parser && m_parser->malformed(); }
  ExecResult result() const override { return m_parser->result(); }

 private:
  ChannelLimits m_limits;
  std::optional<protocol::ResponseParser> m_parser;
};

// Binary frames; one decoder for the helper's whole life (its hello comes once).
class ExecWire final : public Wire {
 public:
  explicit ExecWire(const ChannelLimits& limits) : m_limits(limits) {}
  std::string greeting() override { return exec_protocol::encode_setup(m_limits); }
  harness::Result<std::string> begin(const ExecRequest& req) override {
    auto frame = exec_protocol::encode_request(++m_id, req);
    if (frame) m_decoder.expect(m_id, req.output_cap, req.output_cap);
    return frame;
  }
  void feed(std::string_view data) override { m_decoder.feed(data); }
  bool started() const override { return m_decoder.hello(); }
  bool done() const override { return m_decoder.done(); }
  bool malformed() const override { return m_decoder.malformed(); }
  ExecResult result() const override { return m_decoder.result(); }

 private:
  ChannelLimits m_limits;
  std::uint64_t m_id = 0;
  exec_protocol::Decoder m_decoder;
};

}  // namespace

std::unique_ptr<Wire> make_wire(ChannelProtocol protocol, const ChannelLimits& limits) {
  if (protocol == ChannelProtocol::exec) return std::make_unique<ExecWire>(limits);
  return std::make_unique<ShWire>(limits);
}

}  // namespace harness::sandbox
