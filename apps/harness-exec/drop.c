/* `harness-exec --drop UID GID GROUPS`: inside a bwrap sandbox of a root daemon, become the
 * leaf's account before speaking the channel — what `setpriv --reuid=UID --regid=GID
 * --groups=GROUPS --inh-caps=-all --bounding-set=-all` does, without its exec. GROUPS is a comma
 * list of gids, or "-" for none. bwrap leaves us root of the sandbox's user namespace with only
 * CAP_SETUID, CAP_SETGID and CAP_SETPCAP (bwrap_driver.cpp). In this order: every capability out
 * of the bounding set (needs CAP_SETPCAP), the ambient set cleared, the groups, the gid, the uid
 * (leaving uid 0 without SECBIT_KEEP_CAPS clears the permitted and effective sets), the
 * inheritable set cleared. Then checked: the ids are the account's in all three slots and no
 * capability is left in any set. Any failure: exit 97 with a message, nothing else runs. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hx.h"

#define HX_MAX_GROUPS 256

static int parse_id(const char* s, unsigned long* out) {
  if (*s < '0' || *s > '9') return -1;
  char* end = NULL;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || end == s || *end || v > 0xfffffffeUL) return -1;
  *out = v;
  return 0;
}

static int parse_groups(const char* s, gid_t* groups, size_t* n) {
  *n = 0;
  if (strcmp(s, "-") == 0) return 0;
  char buf[4096];
  size_t len = strlen(s);
  if (len == 0 || len >= sizeof buf || s[0] == ',' || s[len - 1] == ',' || strstr(s, ",,"))
    return -1;
  strcpy(buf, s);
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    unsigned long g;
    if (*n >= HX_MAX_GROUPS || parse_id(tok, &g) != 0) return -1;
    groups[(*n)++] = (gid_t)g;
  }
  return *n ? 0 : -1;
}

static int caps(struct __user_cap_data_struct data[2], int set) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  return (int)syscall(set ? SYS_capset : SYS_capget, &hdr, data);
}

static int drop_bounding_set(void) {
  for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; ++cap)
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) return -1;
  return 0;
}

static int nothing_left(uid_t uid, gid_t gid, const gid_t* groups, size_t n) {
  gid_t have[HX_MAX_GROUPS + 1];
  int count = getgroups(HX_MAX_GROUPS + 1, have);
  if (count < 0 || (size_t)count != n) return -1;
  for (size_t i = 0; i < n; ++i)
    if (have[i] != groups[i]) return -1;
  uid_t r, e, s;
  gid_t rg, eg, sg;
  if (getresuid(&r, &e, &s) != 0 || r != uid || e != uid || s != uid) return -1;
  if (getresgid(&rg, &eg, &sg) != 0 || rg != gid || eg != gid || sg != gid) return -1;
  struct __user_cap_data_struct data[2];
  memset(data, 0xff, sizeof data);
  if (caps(data, 0) != 0) return -1;
  for (int i = 0; i < 2; ++i)
    if (data[i].effective || data[i].permitted || data[i].inheritable) return -1;
  for (int cap = 0;; ++cap) {
    int in = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (in < 0) break;
    if (in > 0 || prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) > 0) return -1;
  }
  return 0;
}

int hx_drop(const char* uid_s, const char* gid_s, const char* groups_s) {
  unsigned long uid, gid;
  gid_t groups[HX_MAX_GROUPS];
  size_t n;
  if (parse_id(uid_s, &uid) != 0 || parse_id(gid_s, &gid) != 0 ||
      parse_groups(groups_s, groups, &n) != 0 || uid == 0) {
    fprintf(stderr, "harness-exec: --drop: bad account %s %s %s\n", uid_s, gid_s, groups_s);
    return 97;
  }
  struct __user_cap_data_struct none[2];
  memset(none, 0, sizeof none);
  const char* step = "the bounding set";
  if (drop_bounding_set() != 0) goto fail;
  step = "the ambient set";
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) goto fail;
  step = "setgroups";
  if (setgroups(n, groups) != 0) goto fail;
  step = "setresgid";
  if (setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid) != 0) goto fail;
  step = "setresuid";
  if (setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) != 0) goto fail;
  step = "the inheritable set";
  if (caps(none, 1) != 0) goto fail;
  step = "the check";
  if (nothing_left((uid_t)uid, (gid_t)gid, groups, n) != 0) goto fail;
  return 0;
fail:
  fprintf(stderr, "harness-exec: cannot drop to the account (%s): %s\n", step,
          errno ? strerror(errno) : "capabilities left");
  return 97;
}
