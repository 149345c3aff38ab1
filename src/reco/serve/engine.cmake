# reco_serve_engine: bundle build/check/load, feature assembly, the cascade (engine.h) and the
# candidate-source specs shared with `reco candidates`.
reco_add_library(serve_engine
  SOURCES candidate_sources.cc entity_table.cc feature_plan.cc feature_assembler.cc bundle.cc engine.cc
          bundle_service.cc
  PUBLIC_DEPS reco_serve_events reco_train reco_models reco_calibrate reco_memboost reco_graph reco_twotower reco_retrieval reco_data reco_core
              nlohmann_json::nlohmann_json
  PRIVATE_DEPS fmt::fmt)
