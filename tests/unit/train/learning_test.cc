// Learning: on the logistic-teacher random dataset, DLRM, MLP and LR reach a validation AUC
// within 0.02 of the teacher's own validation AUC (the best achievable), computed through the
// TeacherReport callback of generate_random_dataset.
#include <gtest/gtest.h>

#include "testing/testing.h"
#include "train_fixture.h"

namespace reco::train {
namespace {

using namespace reco::train::testing;

class LearningTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new reco::testing::TempDir();
    RandomDatasetSpec spec;
    spec.rows = 60000;
    spec.dense = 13;
    spec.table_sizes = {100, 100, 100, 100};
    spec.label_mode = LabelMode::kLogistic;
    spec.label_rate = 0.3;
    spec.seed = 77;
    spec.split = "random:0.8,0.1,0.1";
    path_ = dir_->file("teacher.dataset");
    teacher_auc_ = generate(spec, path_);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  double learn(const models::ModelSpec& spec, optim::OptimizerKind opt, float lr, int epochs) {
    Dataset ds = Dataset::open(path_);
    models::CtrModel model(spec, models::resolve_features({}, ds));
    model.init(1);
    TrainOptions o;
    o.batch_size = 256;
    o.epochs = epochs;
    o.optimizer.kind = opt;
    o.optimizer.schedule.base = lr;
    o.metrics = {"auc"};
    Trainer trainer(model, o, quiet_ctx(2, 1));
    auto report = trainer.fit(ds, split_rows(ds, 0), split_rows(ds, 1));
    const double auc = report.epochs.at(report.best_epoch - 1).metrics.at("auc");
    RecordProperty("validation_auc", std::to_string(auc));
    RecordProperty("teacher_validation_auc", std::to_string(teacher_auc_));
    return auc;
  }

  static reco::testing::TempDir* dir_;
  static std::string path_;
  static double teacher_auc_;
};

reco::testing::TempDir* LearningTest::dir_ = nullptr;
std::string LearningTest::path_;
double LearningTest::teacher_auc_ = -1.0;

TEST_F(LearningTest, TeacherIsInformative) {
  // The ceiling must be well above chance, or "within 0.02" would prove nothing.
  EXPECT_GT(teacher_auc_, 0.7);
  EXPECT_LT(teacher_auc_, 1.0);
}

TEST_F(LearningTest, Dlrm) {
  models::ModelSpec spec;
  spec.kind = models::ModelKind::kDlrm;
  spec.embedding_dim = 8;
  spec.bottom = {16, 8};
  spec.top = {16, 1};
  const double auc = learn(spec, optim::OptimizerKind::kLazyAdam, 0.01f, 3);
  EXPECT_GT(auc, teacher_auc_ - 0.02) << "teacher " << teacher_auc_;
}

TEST_F(LearningTest, Mlp) {
  models::ModelSpec spec;
  spec.kind = models::ModelKind::kMlp;
  spec.embedding_dim = 4;
  spec.top = {16, 1};
  const double auc = learn(spec, optim::OptimizerKind::kLazyAdam, 0.01f, 3);
  EXPECT_GT(auc, teacher_auc_ - 0.02) << "teacher " << teacher_auc_;
}

TEST_F(LearningTest, LogisticRegression) {
  models::ModelSpec spec;
  spec.kind = models::ModelKind::kLogistic;
  const double auc = learn(spec, optim::OptimizerKind::kAdagrad, 0.1f, 3);
  EXPECT_GT(auc, teacher_auc_ - 0.02) << "teacher " << teacher_auc_;
}

}  // namespace
}  // namespace reco::train
