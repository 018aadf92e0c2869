// The files a submit creates: the envelope, a fresh workspace, the input files. Blocking; the
// submit route runs these off the loop. The envelope belongs to the daemon; a fresh workspace
// and every input file belong to the leaf's account (docs/security.md "What runs as whom").

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "lib/base/act_as.hpp"
#include "lib/base/beneath.hpp"
#include "lib/base/fs.hpp"
#include "lib/daemon/submit.hpp"

namespace harness::daemon {
namespace {

// The workspace is opened without following symlinks, so the state dir's own path must have
// none: use its real path.
std::string real_path(const std::string& path) {
  char* real = ::realpath(path.c_str(), nullptr);
  if (!real) return path;
  std::string out = real;
  std::free(real);
  return out;
}

Status make_fresh_workspace(model::LeafSpec& s) {
  HARNESS_TRY_ASSIGN(UniqueFd env, open_dir_no_symlinks(s.envelope));
  HARNESS_TRY_ASSIGN(UniqueFd ws, make_dirs_beneath(env.get(), "workspace", 0755));
  if (s.run_as && geteuid() == 0 && fchown(ws.get(), s.run_as->uid, s.run_as->gid) != 0)
    return make_error(ErrorCode::internal, "cannot give the workspace to " + s.run_as->name + ": " +
                                               std::strerror(errno));
  s.workspace = s.envelope + "/workspace";
  return {};
}

// Refuses every input whose directory is reached through a symlink before writing any, so a
// refused submit leaves the workdir as it was.
Status check_input_dirs(int ws, const std::vector<InputFile>& inputs) {
  for (const auto& in : inputs) {
    auto slash = in.path.rfind('/');
    if (slash == std::string::npos) continue;
    auto dir = open_beneath(ws, in.path.substr(0, slash), O_PATH | O_DIRECTORY);
    if (!dir && dir.error().code != ErrorCode::not_found)
      return make_error(dir.error().code, "input '" + in.path + "': " + dir.error().message);
  }
  return {};
}

}  // namespace

Status prepare_envelope(SubmitPlan& plan, const std::string& state_dir,
                        const std::string& leaf_id) {
  auto& s = plan.spec;
  s.envelope = real_path(state_dir) + "/leaves/" + leaf_id;
  HARNESS_TRY(make_dirs(s.envelope, 0750));
  if (s.workspace.empty()) HARNESS_TRY(make_fresh_workspace(s));
  if (plan.inputs.empty()) return {};
  // Opened by the daemon (a fresh workspace lies in the state dir the account may not enter);
  // written beneath it with the account's permissions, so the files are the account's.
  HARNESS_TRY_ASSIGN(UniqueFd ws, open_dir_no_symlinks(s.workspace));
  ActAs as(s.run_as);
  HARNESS_TRY(as.status());
  HARNESS_TRY(check_input_dirs(ws.get(), plan.inputs));
  for (const auto& in : plan.inputs) {
    if (Status w = write_file_beneath(ws.get(), in.path, in.data, 0644); !w)
      return make_error(w.error().code, "input '" + in.path + "': " + w.error().message);
  }
  return {};
}

void discard_envelope(const SubmitPlan& plan) {
  if (plan.spec.envelope.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(plan.spec.envelope, ec);
}

}  // namespace harness::daemon
