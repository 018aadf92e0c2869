#include "lib/client/cli.hpp"

#include <CLI/CLI.hpp>

#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "lib/base/utf8.hpp"
#include "lib/client/cli_usage.hpp"
#include "lib/client/commands.hpp"
#include "lib/client/complete_ids.hpp"
#include "lib/client/completion.hpp"
#include "lib/client/exit_codes.hpp"

namespace harness::client {
namespace {
// Every command's options, filled by CLI11; lives as long as the App.
struct Parsed {
  GlobalOptions global;
  SubmitOptions submit, run, resume, fork;
  WaitOptions wait;
  LeafIdOptions status, cancel;
  ListOptions list;
  LogsOptions logs;
  CompletionOptions completion;
  VerdictOptions approve, reject;
  ScheduleOptions schedule;
};

// How a flag's value completes, recorded while wiring so completions follow the real flags.
using Hints = std::map<const CLI::Option*, std::pair<ValueKind, std::vector<std::string>>>;

struct Cli {
  Parsed p;
  Hints hints;
  CLI::App app{"harnessctl — submit, watch and manage harness agent leaves", "harnessctl"};
};

CLI::Option* hint(Hints& h, CLI::Option* o, ValueKind kind, std::vector<std::string> choices = {}) {
  if (!choices.empty()) o->check(CLI::IsMember(choices));
  h[o] = {kind, std::move(choices)};
  return o;
}

const std::vector<std::string> k_states = {"queued", "running",  "awaiting_approval", "succeeded",
                                           "failed", "rejected", "cancelled"};

void add_submit_flags(Cli& c, CLI::App& s, SubmitOptions& o, bool with_session, bool with_wait) {
  Hints& h = c.hints;
  hint(h, s.add_option("-f,--file", o.prompt_file, "read the prompt from FILE (- for stdin)"),
       ValueKind::file);
  hint(h, s.add_option("--model", o.model, "model profile NAME"), ValueKind::text);
  hint(h, s.add_option("--sandbox", o.sandbox, "sandbox profile NAME"), ValueKind::text);
  hint(h, s.add_option("--workdir", o.workdir, "host directory DIR bound as the workspace"),
       ValueKind::dir);
  hint(h, s.add_option("--input", o.inputs, "copy file PATH into the workspace (repeatable)"),
       ValueKind::file);
  hint(h, s.add_option("--run-as", o.run_as, "run the tools as account USER (admins)"),
       ValueKind::text);
  hint(h, s.add_option("--policy", o.policy, "policy NAME"), ValueKind::text);
  hint(h, s.add_option("--ask", o.ask, "TOOL[:GLOB] needs approval (repeatable)"), ValueKind::text);
  hint(h, s.add_option("--allow", o.allow, "TOOL[:GLOB] runs freely (repeatable)"),
       ValueKind::text);
  hint(h, s.add_option("--deny", o.deny, "TOOL[:GLOB] is refused (repeatable)"), ValueKind::text);
  hint(h,
       s.add_option("--max-turns", o.max_turns, "stop after N model turns")
           ->check(between(1, 10000)),
       ValueKind::text);
  hint(h, s.add_option("--timeout", o.timeout, "maximum duration of the leaf (90s, 10m, 1h)"),
       ValueKind::text);
  hint(h, s.add_option("--budget-usd", o.budget_usd, "cost budget in USD")->check(at_least(0)),
       ValueKind::text);
  hint(h,
       s.add_option("--token-budget", o.token_budget, "input + output tokens the leaf may use")
           ->check(CLI::PositiveNumber),
       ValueKind::text);
  hint(h,
       s.add_option("--inactivity", o.inactivity,
                    "end the leaf after DUR with no model response and no tool output"),
       ValueKind::text);
  hint(h, s.add_option("--label", o.labels, "label K=V (repeatable)"), ValueKind::text);
  if (with_session)
    hint(h, s.add_option("--session", o.session, "continue session ID"), ValueKind::text);
  hint(h,
       s.add_option("--idempotency-key", o.idempotency_key,
                    "a repeated submit with key K returns the first leaf"),
       ValueKind::text);
  if (with_wait) {
    s.add_flag("--wait", o.wait, "wait until the leaf ends; exit with its code");
    s.add_flag("--follow", o.follow, "show the leaf's progress live");
  }
  s.add_flag("-q,--quiet", o.quiet, "print only the leaf id");
}

void add_record_flag(Cli& c, CLI::App& s, SubmitOptions& o) {
  hint(c.hints,
       s.add_option("--record", o.record,
                    "write the leaf's model responses to FILE for a replay profile (with --wait)"),
       ValueKind::file);
}

void add_verdict_flags(Cli& c, CLI::App& s, VerdictOptions& o, bool with_stop) {
  s.add_option("id", o.id, "leaf id")->required();
  hint(c.hints,
       s.add_option("--gate", o.gate, "gate number N (default: the open gate)")->check(at_least(1)),
       ValueKind::text);
  hint(c.hints, s.add_option("-m,--message", o.message, "a message recorded with the verdict"),
       ValueKind::text);
  if (with_stop) s.add_flag("--stop", o.stop, "end the leaf rejected instead of telling the model");
}

const std::vector<std::string> k_schedule_actions = {"add",   "ls",     "show",   "rm",
                                                     "pause", "resume", "run-now"};

void wire_schedule(Cli& c, CLI::App& s) {
  ScheduleOptions& o = c.p.schedule;
  s.require_subcommand(1);
  auto action = [&](const char* name, const char* help) {
    CLI::App* a = s.add_subcommand(name, help);
    a->fallthrough();
    a->final_callback([&o, name] { o.action = name; });
    return a;
  };
  CLI::App* add =
      action("add", "add schedule NAME: (--cron EXPR | --every DUR) -- <submit flags> PROMPT");
  add->add_option("name", o.name, "schedule name")->required();
  auto* cron = hint(c.hints, add->add_option("--cron", o.cron, "5-field cron expression or @daily"),
                    ValueKind::text);
  auto* every = hint(c.hints, add->add_option("--every", o.every, "fire every DUR (30s, 5m)"),
                     ValueKind::text);
  cron->excludes(every);
  hint(c.hints, add->add_option("--tz", o.tz, "IANA time zone of --cron (default UTC)"),
       ValueKind::text);
  hint(c.hints, add->add_option("--overlap", o.overlap, "while the previous leaf runs"),
       ValueKind::choice, {"skip", "queue", "allow"});
  hint(c.hints, add->add_option("--catch-up", o.catch_up, "after downtime"), ValueKind::choice,
       {"none", "once"});
  hint(c.hints, add->add_option("--jitter", o.jitter, "delay each firing by up to DUR"),
       ValueKind::text);
  add->add_option("leaf", o.rest, "-- then submit flags and the PROMPT");
  action("ls", "list schedules");
  for (auto [name, help] : {std::pair{"show", "show a schedule and its next 5 firing times"},
                            std::pair{"rm", "remove a schedule (its leaves stay)"},
                            std::pair{"pause", "stop firing until resume"},
                            std::pair{"resume", "fire again (missed times are not caught up)"},
                            std::pair{"run-now", "fire once now"}})
    action(name, help)->add_option("name", o.name, "schedule name")->required();
}

// The submit flags of `schedule add` after "--", parsed by the submit command's own flags.
Result<SubmitOptions> parse_leaf_flags(const std::vector<std::string>& rest, std::ostream& err);

int run_schedule(Context& ctx, Parsed& p) {
  if (p.schedule.action != "add") return cmd_schedule(ctx, p.schedule, nullptr);
  auto leaf = parse_leaf_flags(p.schedule.rest, ctx.io.err);
  if (!leaf) return report_error(ctx, leaf.error());
  return cmd_schedule(ctx, p.schedule, &*leaf);
}

// One row of the command table: name, aliases, help, its flags, and what runs it.
struct CommandEntry {
  const char* name;
  std::vector<std::string> aliases;
  const char* help;
  void (*wire)(Cli& c, CLI::App& sub);
  int (*run)(Context& ctx, Parsed& p);
};

const std::vector<CommandEntry>& command_table() {
  static const std::vector<CommandEntry> k_table = {
      {"submit",
       {},
       "submit a leaf and print its id",
       [](Cli& c, CLI::App& s) {
         s.add_option("prompt", c.p.submit.prompt, "the prompt (- reads stdin)");
         add_submit_flags(c, s, c.p.submit, true, true);
         add_record_flag(c, s, c.p.submit);
       },
       [](Context& ctx, Parsed& p) { return cmd_submit(ctx, p.submit); }},
      {"run",
       {},
       "submit a leaf, show its progress, print the answer (submit --follow --wait)",
       [](Cli& c, CLI::App& s) {
         s.add_option("prompt", c.p.run.prompt, "the prompt (- reads stdin)");
         add_submit_flags(c, s, c.p.run, true, false);
         add_record_flag(c, s, c.p.run);
       },
       [](Context& ctx, Parsed& p) { return cmd_submit(ctx, p.run, true); }},
      {"resume",
       {},
       "a new leaf on an existing session",
       [](Cli& c, CLI::App& s) {
         s.add_option("session", c.p.resume.session, "the session id")->required();
         s.add_option("prompt", c.p.resume.prompt, "the prompt (- reads stdin)");
         add_submit_flags(c, s, c.p.resume, false, true);
         add_record_flag(c, s, c.p.resume);
       },
       [](Context& ctx, Parsed& p) { return cmd_submit(ctx, p.resume); }},
      {"fork",
       {},
       "a new session with the history of SESSION up to a seq, and a leaf on it",
       [](Cli& c, CLI::App& s) {
         s.add_option("session", c.p.fork.session, "the session id")->required();
         s.add_option("prompt", c.p.fork.prompt, "the prompt (- reads stdin)");
         hint(c.hints,
              s.add_option("--at", c.p.fork.fork_at,
                           "copy the events up to sequence number SEQ (default: the end)")
                  ->check(at_least(1)),
              ValueKind::text);
         add_submit_flags(c, s, c.p.fork, false, true);
         add_record_flag(c, s, c.p.fork);
       },
       [](Context& ctx, Parsed& p) {
         p.fork.fork = true;
         return cmd_submit(ctx, p.fork);
       }},
      {"wait",
       {},
       "block until leaves end; exit with their code",
       [](Cli& c, CLI::App& s) {
         s.add_option("ids", c.p.wait.ids, "leaf ids")->required();
         hint(c.hints, s.add_option("--timeout", c.p.wait.timeout, "give up after DUR (exit 8)"),
              ValueKind::text);
       },
       [](Context& ctx, Parsed& p) { return cmd_wait(ctx, p.wait); }},
      {"status",
       {"get"},
       "show one leaf",
       [](Cli& c, CLI::App& s) { s.add_option("id", c.p.status.id, "leaf id")->required(); },
       [](Context& ctx, Parsed& p) { return cmd_status(ctx, p.status); }},
      {"ls",
       {"list"},
       "list leaves, newest first",
       [](Cli& c, CLI::App& s) {
         hint(c.hints, s.add_option("--state", c.p.list.state, "only leaves in STATE"),
              ValueKind::choice, k_states);
         hint(c.hints,
              s.add_option("--label", c.p.list.labels,
                           "only leaves with label K=V (repeatable; all must match)"),
              ValueKind::text);
         hint(c.hints, s.add_option("--session", c.p.list.session, "only leaves of session ID"),
              ValueKind::text);
         hint(c.hints,
              s.add_option("--limit", c.p.list.limit, "at most N leaves")->check(at_least(1)),
              ValueKind::text);
         hint(c.hints,
              s.add_option("--since", c.p.list.since,
                           "only leaves created in the last DUR (2h) or since TIME (RFC 3339)"),
              ValueKind::text);
         hint(c.hints,
              s.add_option("--cursor", c.p.list.cursor,
                           "the page after CURSOR (the next_cursor of an earlier page)"),
              ValueKind::text);
       },
       [](Context& ctx, Parsed& p) { return cmd_list(ctx, p.list); }},
      {"logs",
       {},
       "show a leaf's events",
       [](Cli& c, CLI::App& s) {
         s.add_option("id", c.p.logs.id, "leaf id")->required();
         s.add_flag("-f,--follow", c.p.logs.follow, "keep streaming until the leaf ends");
         hint(c.hints,
              s.add_option("--since", c.p.logs.since, "only events after sequence number SEQ")
                  ->check(at_least(0)),
              ValueKind::text);
       },
       [](Context& ctx, Parsed& p) { return cmd_logs(ctx, p.logs); }},
      {"cancel",
       {},
       "cancel a leaf",
       [](Cli& c, CLI::App& s) { s.add_option("id", c.p.cancel.id, "leaf id")->required(); },
       [](Context& ctx, Parsed& p) { return cmd_cancel(ctx, p.cancel); }},
      {"approvals",
       {},
       "list open gates waiting for a verdict",
       [](Cli&, CLI::App&) {},
       [](Context& ctx, Parsed&) { return cmd_approvals(ctx); }},
      {"approve",
       {},
       "approve a leaf's open gate: the gated call runs and the leaf continues",
       [](Cli& c, CLI::App& s) { add_verdict_flags(c, s, c.p.approve, false); },
       [](Context& ctx, Parsed& p) { return cmd_verdict(ctx, p.approve, Verdict::approve); }},
      {"reject",
       {},
       "reject a leaf's open gate: the model is told no (--stop ends the leaf)",
       [](Cli& c, CLI::App& s) { add_verdict_flags(c, s, c.p.reject, true); },
       [](Context& ctx, Parsed& p) { return cmd_verdict(ctx, p.reject, Verdict::reject); }},
      {"schedule",
       {},
       "manage schedules: add, ls, show, rm, pause, resume, run-now",
       wire_schedule,
       run_schedule},
      {"version",
       {},
       "print the client's and the daemon's versions",
       [](Cli&, CLI::App&) {},
       [](Context& ctx, Parsed&) { return cmd_version(ctx); }},
      {"doctor",
       {},
       "check the daemon, the store, every sandbox and model profile; say what to fix",
       [](Cli&, CLI::App&) {},
       [](Context& ctx, Parsed&) { return cmd_doctor(ctx); }},
      {"completion",
       {},
       "print a shell completion script",
       [](Cli& c, CLI::App& s) {
         s.add_option("shell", c.p.completion.shell, "bash, zsh or fish")
             ->required()
             ->check(CLI::IsMember({"bash", "zsh", "fish"}));
       },
       [](Context& ctx, Parsed& p) {
         ctx.io.out << completion_script(p.completion.shell);
         return exit_code::succeeded;
       }},
  };
  return k_table;
}

// A repeatable flag takes exactly one value per occurrence (`--label a=1 --label b=2`), so it
// never swallows the prompt or the ids after it. CLI11's vector options take every following
// argument by default; this applies to every flag of `app` and its subcommands, added or to come.
void one_value_per_occurrence(CLI::App& app) {
  for (CLI::Option* o : app.get_options())
    if (o->nonpositional() && o->get_items_expected_max() > 1) o->allow_extra_args(false);
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
    one_value_per_occurrence(*sub);
}

void wire(Cli& c) {
  CLI::App& app = c.app;
  app.require_subcommand(1);
  app.fallthrough();
  app.set_version_flag("--version", std::string("harnessctl ") + k_client_version);
  hint(c.hints,
       app.add_option("--socket", c.p.global.socket, "daemon unix socket PATH ($HARNESS_SOCKET)"),
       ValueKind::file);
  hint(c.hints,
       app.add_option("--url", c.p.global.url,
                      "daemon base URL ($HARNESS_URL; token from $HARNESS_TOKEN)"),
       ValueKind::text);
  hint(c.hints,
       app.add_option("-o,--output", c.p.global.output, "output format: text, json or wide"),
       ValueKind::choice, {"text", "json", "wide"});
  app.add_flag("--no-color", c.p.global.no_color, "never color the output (also $NO_COLOR)");
  for (const auto& e : command_table()) {
    CLI::App* sub = app.add_subcommand(e.name, e.help);
    for (const auto& a : e.aliases) sub->alias(a);
    sub->fallthrough();
    e.wire(c, *sub);
  }
  one_value_per_occurrence(app);
}

Result<SubmitOptions> parse_leaf_flags(const std::vector<std::string>& rest, std::ostream& err) {
  auto c = std::make_unique<Cli>();
  CLI::App& app = c->app;
  app.add_option("prompt", c->p.submit.prompt, "the prompt");
  add_submit_flags(*c, app, c->p.submit, false, false);
  std::vector<std::string> args(rest.rbegin(), rest.rend());  // CLI11 parses a reversed vector
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    std::ostringstream ignored;
    app.exit(e, ignored, err);
    return make_error(ErrorCode::bad_request,
                      "schedule add: the leaf's flags after -- : " + std::string(e.what()));
  }
  return c->p.submit;
}

FlagSpec flag_spec(const Hints& hints, const CLI::Option* o) {
  FlagSpec f;
  for (const auto& s : o->get_snames()) f.names.push_back("-" + s);
  for (const auto& l : o->get_lnames()) f.names.push_back("--" + l);
  f.help = o->get_description();
  auto it = hints.find(o);
  if (it != hints.end()) {
    f.value = it->second.first;
    f.choices = it->second.second;
  }
  f.repeatable = o->get_items_expected_max() > 1;
  return f;
}

std::vector<FlagSpec> flag_specs(const Hints& hints, const CLI::App& app) {
  std::vector<FlagSpec> flags;
  for (const CLI::Option* o : app.get_options())
    if (o->nonpositional()) flags.push_back(flag_spec(hints, o));
  return flags;
}

// What a command's positionals complete with (complete_ids.hpp): open gates for verdicts,
// unfinished leaves for cancel, any leaf (unfinished first) for the readers, sessions for resume
// and fork.
std::string dynamic_ids(std::string_view command) {
  if (command == "approve" || command == "reject") return "leaves --state gated";
  if (command == "cancel") return "leaves --state running --state gated --state queued";
  if (command == "wait" || command == "logs" || command == "status") return "leaves";
  if (command == "resume" || command == "fork") return "sessions";
  return "";
}

CliSpec cli_spec(Cli& c) {
  CliSpec spec;
  spec.program = "harnessctl";
  spec.global = flag_specs(c.hints, c.app);
  for (const auto& e : command_table()) {
    const CLI::App* sub = c.app.get_subcommand(e.name);
    CommandSpec cmd{e.name, e.aliases, e.help, {}, {}, {}};
    for (const auto& f : flag_specs(c.hints, *sub))
      if (f.names != std::vector<std::string>{"-h", "--help"}) cmd.flags.push_back(f);
    if (std::string(e.name) == "completion") cmd.positional_choices = {"bash", "zsh", "fish"};
    cmd.dynamic_ids = dynamic_ids(e.name);
    if (std::string(e.name) == "schedule") {
      // Nested actions complete as the first word; their flags (add's, then the submit flags
      // after "--") complete anywhere after it.
      cmd.positional_choices = k_schedule_actions;
      for (const auto& f : flag_specs(c.hints, *sub->get_subcommand("add")))
        if (f.names != std::vector<std::string>{"-h", "--help"}) cmd.flags.push_back(f);
      for (const auto& f : flag_specs(c.hints, *c.app.get_subcommand("submit")))
        if (f.names != std::vector<std::string>{"-h", "--help"} &&
            f.names != std::vector<std::string>{"--session"} &&
            f.names != std::vector<std::string>{"--wait"} &&
            f.names != std::vector<std::string>{"--follow"})
          cmd.flags.push_back(f);
    }
    spec.commands.push_back(std::move(cmd));
  }
  return spec;
}

// The name of the first option (or positional) of `app` or its parsed subcommands whose value
// is not UTF-8: the API speaks JSON, so such an argument cannot be sent as it is.
std::optional<std::string> non_utf8_argument(const CLI::App& app) {
  for (const CLI::Option* o : app.get_options())
    for (const std::string& value : o->results())
      if (!valid_utf8(value)) return o->get_name();
  for (const CLI::App* sub : app.get_subcommands())
    if (auto name = non_utf8_argument(*sub)) return name;
  return std::nullopt;
}

// The global flags that take a value, and every command name and alias: for scanning argv.
std::vector<std::string> global_value_flags(const Cli& c) {
  std::vector<std::string> names;
  for (const CLI::Option* o : c.app.get_options())
    if (o->nonpositional() && o->get_items_expected_max() > 0) {  // a flag expects 0 items
      for (const auto& s : o->get_snames()) names.push_back("-" + s);
      for (const auto& l : o->get_lnames()) names.push_back("--" + l);
    }
  return names;
}

std::vector<std::string> command_names() {
  std::vector<std::string> names;
  for (const auto& e : command_table()) {
    names.emplace_back(e.name);
    names.insert(names.end(), e.aliases.begin(), e.aliases.end());
  }
  return names;
}

// What CLI11 would get wrong, handled first: no command prints usage (exit 2), `help [CMD]`
// becomes `[CMD] --help` (rewriting `args`), an unknown command suggests the nearest one.
// Returns an exit code, or -1 to go on parsing `args`.
int before_parse(Cli& c, std::vector<std::string>& args, Io io) {
  CommandWord w = find_command_word(args, global_value_flags(c), command_names());
  switch (w.kind) {
    case CommandWord::Kind::known:
      return -1;
    case CommandWord::Kind::none:
      io.err << c.app.help() << "harnessctl: a command is required (see the list above)\n";
      return exit_code::usage;
    case CommandWord::Kind::help:
      args.erase(args.begin() + static_cast<std::ptrdiff_t>(w.index));
      if (w.index < args.size() && !args[w.index].starts_with("-")) {
        CommandWord target = find_command_word(args, global_value_flags(c), command_names());
        if (target.kind == CommandWord::Kind::unknown) return before_parse(c, args, io);
        args.insert(args.begin() + static_cast<std::ptrdiff_t>(w.index) + 1, "--help");
      } else {
        args.emplace_back("--help");
      }
      return -1;
    case CommandWord::Kind::unknown:
      break;
  }
  io.err << "harnessctl: unknown command '" << w.word << "'";
  if (auto near = nearest_name(w.word, command_names()))
    io.err << " — did you mean " << *near << "?";
  io.err << "\nrun `harnessctl --help` for the list of commands\n";
  return exit_code::usage;
}

// Appended to a command's --help: the flags every command accepts, before or after its name.
std::string global_options_help(const Cli& c) {
  std::string text = "\nGlobal options (before or after the command):\n";
  for (const CLI::Option* o : c.app.get_options()) {
    if (!o->nonpositional() || o->get_lnames() == std::vector<std::string>{"help"} ||
        o->get_lnames() == std::vector<std::string>{"version"})
      continue;
    std::string names = o->get_name(false, true);
    if (o->get_type_size_max() > 0) names += " " + o->get_type_name();
    text += "  " + names + std::string(names.size() < 28 ? 28 - names.size() : 1, ' ') +
            o->get_description() + "\n";
  }
  return text;
}

// The index of "__complete" when it is the command word (only global flags before it), else 0.
size_t complete_word(const std::vector<std::string>& args) {
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--socket" || a == "--url" || a == "-o" || a == "--output") {
      ++i;
      continue;
    }
    if (!a.starts_with("-")) return a == "__complete" ? i : 0;
  }
  return 0;
}

int run_parsed(Cli& c, Io io, const EnvLookup& env) {
  Context ctx{c.p.global, io, discover_endpoint(c.p.global.socket, c.p.global.url, env),
              !c.p.global.no_color && !env("NO_COLOR")};
  for (const auto& e : command_table())
    if (c.app.got_subcommand(e.name)) return e.run(ctx, c.p);
  return exit_code::usage;
}
}  // namespace

int run_cli(int argc, const char* const* argv, Io io, const EnvLookup& env) {
  std::vector<std::string> args(argv, argv + argc);
  if (size_t at = complete_word(args); at) {
    // Global flags may come before it (`harnessctl --socket S __complete leaves`).
    std::vector<std::string> rest{"__complete"};
    rest.insert(rest.end(), args.begin() + 1, args.begin() + static_cast<std::ptrdiff_t>(at));
    rest.insert(rest.end(), args.begin() + static_cast<std::ptrdiff_t>(at) + 1, args.end());
    return complete_ids(rest, io, env);
  }
  auto c = std::make_unique<Cli>();
  try {
    wire(*c);
    if (int code = before_parse(*c, args, io); code >= 0) return code;
    std::vector<const char*> ptrs;
    for (const auto& a : args) ptrs.push_back(a.c_str());
    c->app.parse(static_cast<int>(ptrs.size()), ptrs.data());
  } catch (const CLI::CallForHelp& e) {
    c->app.exit(e, io.out, io.err);
    if (!c->app.get_subcommands().empty()) io.out << global_options_help(*c);
    return exit_code::succeeded;
  } catch (const CLI::ValidationError& e) {
    // "--max-turns: must be between 1 and 10000" → "--max-turns must be between 1 and 10000".
    std::string what = e.what();
    if (auto colon = what.find(": "); colon != std::string::npos && what.starts_with("-"))
      what.erase(colon, 1);
    io.err << "harnessctl: " << what << "\n";
    return exit_code::usage;
  } catch (const CLI::ParseError& e) {
    int code = c->app.exit(e, io.out, io.err);
    return code == 0 ? exit_code::succeeded : exit_code::usage;
  } catch (const std::exception& e) {
    io.err << "harnessctl: " << e.what() << "\n";
    return exit_code::error;
  }
  if (auto name = non_utf8_argument(c->app)) {
    io.err << "harnessctl: " << *name << ": the argument is not valid UTF-8\n";
    return exit_code::usage;
  }
  return run_parsed(*c, io, env);
}

std::string completion_script(std::string_view shell) {
  auto c = std::make_unique<Cli>();
  wire(*c);
  CliSpec spec = cli_spec(*c);
  if (shell == "bash") return bash_completion(spec);
  if (shell == "zsh") return zsh_completion(spec);
  if (shell == "fish") return fish_completion(spec);
  return "";
}

}  // namespace harness::client
