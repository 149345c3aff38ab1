// Placeholder: implemented by the core work item.
#include "reco/core/container.h"
