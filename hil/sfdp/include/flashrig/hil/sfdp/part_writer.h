// `flashrig parts new --from-sfdp`: a part JSON that references an SFDP image, gives the
// identity a person supplies, and lists what the table cannot say (protection bits,
// suspend, wear ratings, and any field the table gets wrong or leaves out).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "flashrig/driver/sfdp/sfdp.h"

namespace flashrig::hil {

struct NewPartRequest {
  std::string name;
  std::string vendor;
  std::string jedec_id;    // "EF 40 18" (already checked).
  std::string image_path;  // As the part file will name it (relative to the part file).
  std::string source;      // Where the image came from; "" = a placeholder to fill in.
};

// The part document for `sfdp`, and (in *todo) one line per thing still to fill in; the
// same lines are in the document's "todo" (keys in the order a person reads them).
// Fields the table cannot give (3-byte-only on a big part, no 4-byte method) are left out
// so the part does not load until a person adds them; *todo says which.
nlohmann::ordered_json NewPartJson(const driver::Sfdp& sfdp, const NewPartRequest& request,
                                   std::vector<std::string>* todo);

}  // namespace flashrig::hil
