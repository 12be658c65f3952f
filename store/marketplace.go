package store

import (
	"time"

	"gorm.io/gorm"
)

// TemplateCategory groups marketplace templates; categories nest.
type TemplateCategory struct {
	ID               string
	Name             string  `validate:"required,max=100"`
	Description      *string `validate:"omitnil,max=2000"`
	Icon             *string `validate:"omitnil,max=100"`
	ParentCategoryID *string
	Active           bool
	CreatedAt        time.Time

	Parent *TemplateCategory `gorm:"foreignKey:ParentCategoryID" validate:"-"`
}

func (TemplateCategory) TableName() string { return "template_categories" }

func (c *TemplateCategory) BeforeCreate(*gorm.DB) error { return newID(&c.ID) }

// TemplateReview is one user's rating of a marketplace template.
type TemplateReview struct {
	ID           string
	TemplateID   string
	ReviewerID   string
	Rating       int     `validate:"min=1,max=5"` // 1..5
	ReviewText   *string `validate:"omitnil,max=5000"`
	HelpfulVotes int
	CreatedAt    time.Time

	Template *CredentialTemplate `gorm:"foreignKey:TemplateID" validate:"-"`
	Reviewer *User               `gorm:"foreignKey:ReviewerID" validate:"-"`
}

func (TemplateReview) TableName() string { return "template_reviews" }

func (r *TemplateReview) BeforeCreate(*gorm.DB) error { return newID(&r.ID) }
