package store

import (
	"time"

	"gorm.io/gorm"
)

// TemplateCategory groups marketplace templates; categories nest.
type TemplateCategory struct {
	ID               string
	Name             string
	Description      *string
	Icon             *string
	ParentCategoryID *string
	Active           bool
	CreatedAt        time.Time

	Parent *TemplateCategory `gorm:"foreignKey:ParentCategoryID"`
}

func (TemplateCategory) TableName() string { return "template_categories" }

func (c *TemplateCategory) BeforeCreate(*gorm.DB) error { return newID(&c.ID) }

// TemplateReview is one user's rating of a marketplace template.
type TemplateReview struct {
	ID           string
	TemplateID   string
	ReviewerID   string
	Rating       int // 1..5
	ReviewText   *string
	HelpfulVotes int
	CreatedAt    time.Time

	Template *CredentialTemplate `gorm:"foreignKey:TemplateID"`
	Reviewer *User               `gorm:"foreignKey:ReviewerID"`
}

func (TemplateReview) TableName() string { return "template_reviews" }

func (r *TemplateReview) BeforeCreate(*gorm.DB) error { return newID(&r.ID) }
