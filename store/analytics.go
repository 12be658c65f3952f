package store

import (
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm"
)

// CredentialAnalytics is one organization's credential counts for one day.
type CredentialAnalytics struct {
	ID                      string
	OrganizationID          string
	Date                    datatypes.Date // a UTC day
	CredentialsIssued       int
	CredentialsRevoked      int
	CredentialsExpired      int
	VerificationRequests    int
	SuccessfulVerifications int
	FailedVerifications     int
	CreatedAt               time.Time
}

func (CredentialAnalytics) TableName() string { return "credential_analytics" }

func (a *CredentialAnalytics) BeforeCreate(*gorm.DB) error { return newID(&a.ID) }

// MetricUnit is real_time_analytics.metric_unit.
type MetricUnit string

const (
	UnitCount      MetricUnit = "count"
	UnitPercentage MetricUnit = "percentage"
	UnitCurrency   MetricUnit = "currency"
	UnitTimeMs     MetricUnit = "time_ms"
)

// Valid reports whether u is one of the values the database accepts.
func (u MetricUnit) Valid() bool {
	switch u {
	case UnitCount, UnitPercentage, UnitCurrency, UnitTimeMs:
		return true
	}
	return false
}

// RealTimeAnalytics is one point of a dashboard metric, optionally split by a
// dimension (empty key and value when it is not).
type RealTimeAnalytics struct {
	ID             string
	OrganizationID string
	MetricName     string     `validate:"required,max=100"`
	MetricValue    float64    // NUMERIC(15,2)
	MetricUnit     MetricUnit `gorm:"default:count" validate:"required,oneof=count percentage currency time_ms"`
	DimensionKey   string
	DimensionValue string
	Timestamp      time.Time `gorm:"autoCreateTime"`
}

func (RealTimeAnalytics) TableName() string { return "real_time_analytics" }

func (a *RealTimeAnalytics) BeforeCreate(*gorm.DB) error { return newID(&a.ID) }

// ModelType is analytics_models.model_type.
type ModelType string

const (
	ModelFraudDetection  ModelType = "fraud_detection"
	ModelUsagePrediction ModelType = "usage_prediction"
	ModelChurnPrediction ModelType = "churn_prediction"
)

// Valid reports whether t is one of the values the database accepts.
func (t ModelType) Valid() bool {
	switch t {
	case ModelFraudDetection, ModelUsagePrediction, ModelChurnPrediction:
		return true
	}
	return false
}

// AnalyticsModel is a trained predictive model of one organization.
type AnalyticsModel struct {
	ID               string
	OrganizationID   string
	ModelName        string    `validate:"required,max=100"`
	ModelType        ModelType `validate:"required,oneof=fraud_detection usage_prediction churn_prediction"`
	ModelVersion     string    `validate:"required,max=50"`
	ModelData        []byte    // serialized model
	AccuracyScore    *float64  `validate:"omitnil,min=0,max=1"` // NUMERIC(5,4), 0..1
	TrainingDataSize int64
	LastTrainedAt    *time.Time
	Active           bool
	CreatedAt        time.Time

	Predictions []ModelPrediction `gorm:"foreignKey:ModelID" validate:"-"`
}

func (AnalyticsModel) TableName() string { return "analytics_models" }

func (m *AnalyticsModel) BeforeCreate(*gorm.DB) error { return newID(&m.ID) }

// PredictionInput is model_predictions.input_data.
type PredictionInput struct {
	SubjectType string             `json:"subject_type,omitempty"` // credential, organization, user
	SubjectID   string             `json:"subject_id,omitempty"`
	Features    map[string]float64 `json:"features,omitempty"`
}

// PredictionOutcome is model_predictions.prediction_result.
type PredictionOutcome struct {
	Label       string   `json:"label,omitempty"`
	Score       float64  `json:"score"`
	Explanation []string `json:"explanation,omitempty"`
}

// ModelPrediction is one prediction made by a model.
type ModelPrediction struct {
	ID                  string
	ModelID             string
	InputData           datatypes.JSONType[PredictionInput]
	PredictionResult    datatypes.JSONType[PredictionOutcome]
	ConfidenceScore     *float64  `validate:"omitnil,min=0,max=1"` // NUMERIC(5,4), 0..1
	PredictionTimestamp time.Time `gorm:"autoCreateTime"`

	Model *AnalyticsModel `gorm:"foreignKey:ModelID" validate:"-"`
}

func (ModelPrediction) TableName() string { return "model_predictions" }

func (p *ModelPrediction) BeforeCreate(*gorm.DB) error { return newID(&p.ID) }
